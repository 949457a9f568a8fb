import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '../platform/errors.js';
import { MAX_WEBHOOK_URL_LENGTH, parseWebhookUrl, redactUrl } from './webhook-url.js';

describe('redactUrl', () => {
  it.each([
    ['https://user:pw@example.org/hook?a=1', 'https://***@example.org/hook?a=1'],
    ['https://user@example.org:8443/', 'https://***@example.org:8443/'],
    ['https://:pw@example.org/', 'https://***@example.org/'],
    ['http://example.org/plain', 'http://example.org/plain'],
    ['http://carol:pa55@[bad/', 'http://***@[bad/'],
    ['not a url at all', 'not a url at all'],
  ])('shows %s as %s', (raw, shown) => {
    expect(redactUrl(raw)).toBe(shown);
  });
});

describe('parseWebhookUrl', () => {
  it('keeps credentials and normalises', () => {
    expect(parseWebhookUrl('HTTPS://u:p@Example.ORG/a/../hook')).toBe(
      'https://u:p@example.org/hook',
    );
    expect(parseWebhookUrl('http://[::1]:8080/x')).toBe('http://[::1]:8080/x');
  });

  it.each([
    ['ftp://u:secretpw@example.org/', 'not http or https'],
    ['mailto:someone@example.org', 'not http or https'],
    ['//example.org/hook', 'not an absolute URL'],
    ['https://example.org/#', 'fragment'],
    ['https://example.org/\nhook', 'whitespace'],
    [`https://example.org/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`, 'longer than'],
  ])('refuses %j', (raw, why) => {
    let error: unknown;
    try {
      parseWebhookUrl(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnprocessableError);
    const refusal = error as UnprocessableError;
    expect(refusal.message).toContain(why);
    expect(refusal.message).not.toContain('secretpw');
    expect(refusal.errors).toEqual([{ path: '/url', message: refusal.message }]);
  });

  it('quotes an untrusted URL bounded and on one line', () => {
    const raw = `ftp://example.org/${'x'.repeat(500)}`;
    let message = '';
    try {
      parseWebhookUrl(raw);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.length).toBeLessThan(250);
    expect(message).not.toMatch(/\n/);
  });
});
