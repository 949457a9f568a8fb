import { describe, expect, it } from 'vitest';
import { bandCount } from './cab-commands.js';

describe('bandCount', () => {
  it('says "+" only for a band the server counted up to its cap', () => {
    expect(bandCount('LOW', 1000, ['LOW'])).toBe('1000+');
    expect(bandCount('HIGH', 1000, ['LOW'])).toBe('1000');
    expect(bandCount('HIGH', 0, [])).toBe('0');
  });
});
