import type { ErrorObject } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeSchemaError } from './schema-errors.js';
import { HASH_CONTENT, isHashContent, optimizeSchema } from './schema-rewrite.js';
import { schemaValidator } from './schema-validator.js';

describe('optimizeSchema', () => {
  const hashPattern =
    '^([a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128})$';

  it('rewrites the hash pattern into an equivalent one', () => {
    const schema: Record<string, unknown> = { type: 'string', pattern: hashPattern };
    optimizeSchema(schema);
    expect(schema.pattern).not.toBe(hashPattern);
    const original = new RegExp(hashPattern);
    const rewritten = new RegExp(String(schema.pattern));
    for (let length = 0; length <= 140; length += 1) {
      for (const value of ['a'.repeat(length), `${'F'.repeat(length)}`, `${'0'.repeat(length)}g`]) {
        expect(rewritten.test(value)).toBe(original.test(value));
      }
    }
  });

  it('replaces uniqueItems and long string enums, and leaves the rest alone', () => {
    const long = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const schema = {
      properties: {
        a: { type: 'array', uniqueItems: true },
        b: { type: 'array', uniqueItems: false },
        c: { enum: long },
        d: { enum: ['x', 'y'] },
        e: { enum: [...long, 1] },
      },
    };
    optimizeSchema(schema);
    expect(schema.properties).toEqual({
      a: { type: 'array', uniqueItemsLinear: true },
      b: { type: 'array' },
      c: { stringEnum: long },
      d: { enum: ['x', 'y'] },
      e: { enum: [...long, 1] },
    });
  });

  it('validates a long enum through a Set, reported like an enum', () => {
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const schema = { type: 'object', properties: { kind: { enum: values } } };
    optimizeSchema(schema);
    const validate = schemaValidator().compile(schema);
    expect(validate({ kind: 'v7' })).toBe(true);
    expect(validate({ kind: 'v99' })).toBe(false);
    const error = validate.errors?.[0] as ErrorObject;
    expect(error).toMatchObject({
      instancePath: '/kind',
      data: 'v99',
      params: { allowedValues: values },
    });
    expect(describeSchemaError(error, '')).toEqual({
      path: '/kind',
      message: 'must be one of the 20 allowed values (got "v99")',
    });
    expect(validate({ kind: 7 })).toBe(false);
  });
});

describe('the hash content pattern', () => {
  const pattern = new RegExp(HASH_CONTENT, 'u');

  it('is checked by isHashContent as by the regular expression on the edge cases', () => {
    for (const text of [
      'a'.repeat(40),
      'A'.repeat(128),
      `${'a'.repeat(31)}é`,
      `${'a'.repeat(31)}g`,
      '',
    ]) {
      expect(isHashContent(text), text).toBe(pattern.test(text));
    }
  });

  it('is checked by isHashContent exactly as by the regular expression', () => {
    const digit = fc.constantFrom(...'0123456789abcdefABCDEF');
    const other = fc.constantFrom(
      'g',
      'G',
      ' ',
      '\n',
      '-',
      'é',
      '\u0660',
      '\ud83d\ude00',
      '\u0010',
    );
    const value = fc
      .record({
        length: fc.constantFrom(0, 31, 32, 33, 40, 64, 96, 127, 128, 129),
        typo: fc.option(fc.tuple(fc.nat(), other)),
      })
      .chain(({ length, typo }) =>
        fc.array(digit, { minLength: length, maxLength: length }).map((digits) => {
          if (typo !== null && digits.length > 0) digits[typo[0] % digits.length] = typo[1];
          return digits.join('');
        }),
      );
    fc.assert(
      fc.property(fc.oneof(value, fc.string()), (text) => {
        expect(isHashContent(text)).toBe(pattern.test(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads the same in errors: the schema still holds the pattern', () => {
    const validate = schemaValidator().compile({
      type: 'object',
      properties: { content: { type: 'string', pattern: HASH_CONTENT }, id: { pattern: '^x+$' } },
    });
    expect(validate({ content: 'ab'.repeat(32), id: 'xx' })).toBe(true);
    expect(validate({ content: 'ab'.repeat(32), id: 'xy' })).toBe(false);
    expect(validate({ content: 'abc' })).toBe(false);
    const error = validate.errors?.[0] as ErrorObject;
    expect(error).toMatchObject({ keyword: 'pattern', params: { pattern: HASH_CONTENT } });
    expect(describeSchemaError(error, '')).toEqual({
      path: '/content',
      message: 'must be 32, 40, 64, 96 or 128 hexadecimal digits (got "abc")',
    });
  });
});

describe('string formats', () => {
  const check = (format: string) => schemaValidator().compile({ type: 'string', format });

  it.each([
    ['https://example.com/a/b?c=d#e', true],
    ['urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#ms-1.example.com', true],
    ['uri/to/changes.diff', true],
    ['https://例え.jp/パス', true],
    ['mailto:someone@example.org', true],
    ['', true],
    ['http://exa mple.com', false],
    ['https://example.com/%zz', false],
    ['https://example.com/\uD800', false],
  ])('iri-reference %j → %s', (value, valid) => {
    expect(check('iri-reference')(value)).toBe(valid);
  });

  it.each([
    ['urn:isbn:0451450523', true],
    ['https://example.com', true],
    ['relative/path', false],
  ])('iri %j → %s', (value, valid) => {
    expect(check('iri')(value)).toBe(valid);
  });

  it.each([
    ['someone@example.org', true],
    ['ユーザー@例え.jp', true],
    ['not an email', false],
  ])('idn-email %j → %s', (value, valid) => {
    expect(check('idn-email')(value)).toBe(valid);
  });
});
