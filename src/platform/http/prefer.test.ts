import { describe, expect, it } from 'vitest';
import { prefersMinimal } from './prefer.js';

describe('prefersMinimal (RFC 7240)', () => {
  it('finds return=minimal among other preferences, in any case, quoted or with parameters', () => {
    expect(prefersMinimal('return=minimal')).toBe(true);
    expect(prefersMinimal('respond-async, RETURN = "Minimal"; foo=bar')).toBe(true);
    expect(prefersMinimal(['wait=10', 'return=minimal'])).toBe(true);
  });

  it('is false for no header, return=representation and look-alikes', () => {
    expect(prefersMinimal(undefined)).toBe(false);
    expect(prefersMinimal('return=representation')).toBe(false);
    expect(prefersMinimal('return-minimal, minimal, return')).toBe(false);
    expect(prefersMinimal('x-return=minimal')).toBe(false);
    expect(prefersMinimal('')).toBe(false);
  });
});
