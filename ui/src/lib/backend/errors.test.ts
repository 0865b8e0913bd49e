import { describe, expect, it } from 'vitest';
import { setLang } from '../i18n/index.svelte';
import { errorText, refusalOr } from '../refusal';
import { toApiError } from './index';

describe('toApiError', () => {
  it('keeps an ApiError as the backend sent it', () => {
    expect(toApiError({ code: 'cancelled', message: '已取消' })).toEqual({ code: 'cancelled', message: '已取消' });
  });
  it('wraps a bare string or an Error', () => {
    expect(toApiError('boom')).toEqual({ code: 'internal', message: 'boom' });
    expect(toApiError(new Error('no shell')).message).toBe('no shell');
  });
  it('words a rule\'s refusal in the official\'s language, its English the fallback', () => {
    const sent = { code: 'not_allowed', message: 'the volunteer already has 2 task(s) at once, their limit', refusal: { code: 'at_capacity', active: 2 } };
    setLang('zh-CN');
    expect(toApiError(sent).message).toBe('该志愿者已同时承担 2 项任务，达到上限');
    setLang('en');
    expect(toApiError(sent).message).toBe('the volunteer already has 2 task(s) at once, their limit');
    setLang('zh-CN');
    const step = { code: 'step', action: 'assign', status: 'closed', hint: 'only accepted work can be assigned' } as const;
    expect(refusalOr(step, 'x')).toBe('诉求目前为“已回访关闭”，不能“派单”');
    const av = { code: 'availability', problem: 'no_hours', part: '周六' } as const;
    expect(refusalOr(av, 'x')).toContain('“周六”只有日期没有时段');
    // A code from a newer server: the English reason it came with.
    const newer = { code: 'moon_phase' } as unknown as Parameters<typeof refusalOr>[0];
    expect(refusalOr(newer, 'the moon is full')).toBe('the moon is full');
    expect(errorText({ code: 'invalid', message: 'plain' })).toBe('plain');
  });
});
