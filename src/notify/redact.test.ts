import { describe, expect, it } from 'vitest';
import { redact, redactUrl, secretsOf } from './redact.js';

describe('redact', () => {
  it('masks the credentials of a URL, whether it parses or not', () => {
    expect(redactUrl('smtps://mailer:hunter2@mx.example.org:465')).toBe(
      'smtps://***@mx.example.org:465',
    );
    expect(redactUrl('smtp://mx.example.org')).toBe('smtp://mx.example.org');
    expect(redactUrl('smtp://mailer:hun ter2@[bad')).toBe('smtp://***@[bad');
    expect(redact('at smtp://u:p@ss@mx failed')).toBe('at smtp://***@mx failed');
  });

  it('masks every spelling of the password in a text', () => {
    const url = `smtp://mailer:${encodeURIComponent('p@ss/w:rd')}@mx.example.org`;
    const secrets = secretsOf(url);
    const plain = Buffer.from('\u0000mailer\u0000p@ss/w:rd').toString('base64');
    const text = `login p@ss/w:rd failed; sent ${plain}; url smtp://mailer:x@mx; ${encodeURIComponent('p@ss/w:rd')}`;
    const out = redact(text, secrets);
    expect(out).toBe('login *** failed; sent ***; url smtp://***@mx; ***');
  });

  it('has no secrets without a password or a parsable URL', () => {
    expect(secretsOf(null)).toEqual([]);
    expect(secretsOf('smtp://mx.example.org')).toEqual([]);
    expect(secretsOf('smtp://mailer@mx.example.org')).toEqual([]);
    expect(secretsOf('not a url')).toEqual([]);
    expect(secretsOf('smtp://mailer:%E0%A4%A@mx.example.org')).toContain('%E0%A4%A');
  });
});
