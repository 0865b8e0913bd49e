import { describe, expect, it } from 'vitest';
import { duration, setLang } from './index.svelte';

describe('duration', () => {
  it('reads in the unit that fits, in both languages', () => {
    setLang('zh-CN');
    expect(duration(0.0004)).toBe('1 毫秒');
    expect(duration(0.042)).toBe('42 毫秒');
    expect(duration(0.9996)).toBe('1 秒');
    expect(duration(3.24)).toBe('3.2 秒');
    expect(duration(59.96)).toBe('1 分 0 秒');
    expect(duration(125.4)).toBe('2 分 5 秒');
    setLang('en');
    expect(duration(0.042)).toBe('42 ms');
    expect(duration(12)).toBe('12 s');
    expect(duration(125.4)).toBe('2 min 5 s');
  });
});
