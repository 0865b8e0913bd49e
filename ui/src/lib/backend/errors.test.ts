import { describe, expect, it } from 'vitest';
import { toApiError } from './index';

describe('toApiError', () => {
  it('keeps an ApiError as the backend sent it', () => {
    expect(toApiError({ code: 'cancelled', message: '已取消' })).toEqual({ code: 'cancelled', message: '已取消' });
  });
  it('wraps a bare string or an Error', () => {
    expect(toApiError('boom')).toEqual({ code: 'internal', message: 'boom' });
    expect(toApiError(new Error('no shell')).message).toBe('no shell');
  });
});
