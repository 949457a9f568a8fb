import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JsonObjectSplitter,
  type JsonSlice,
  JsonSplitError,
  MemberMode,
  type SplitHandler,
} from './object-splitter.js';

type Event =
  | ['member', string, unknown]
  | ['start', string]
  | ['element', number, unknown]
  | ['end', number];

/** Splits `text` fed in chunks of `size` bytes (one reused buffer, as a file reader does). */
function split(
  text: string | Uint8Array,
  size: number,
  modeOf: (key: string) => MemberMode = (key) =>
    key.startsWith('s') ? MemberMode.ELEMENTS : MemberMode.VALUE,
): Event[] {
  const events: Event[] = [];
  const handler: SplitHandler = {
    modeOf,
    member: (key, value: JsonSlice) => events.push(['member', key, value.parse()]),
    arrayStart: (key) => events.push(['start', key]),
    element: (index, value) => events.push(['element', index, value.parse()]),
    arrayEnd: (count) => events.push(['end', count]),
  };
  const splitter = new JsonObjectSplitter(handler);
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const reused = new Uint8Array(size);
  for (let at = 0; at < bytes.length; at += size) {
    const piece = bytes.subarray(at, at + size);
    reused.set(piece);
    splitter.push(reused.subarray(0, piece.length));
    reused.fill(0x78);
  }
  splitter.end();
  return events;
}

function splitError(text: string | Uint8Array, size = 3): JsonSplitError {
  try {
    split(text, size);
  } catch (error) {
    if (error instanceof JsonSplitError) return error;
    throw error;
  }
  throw new Error('the document was accepted');
}

/** The events a correct splitter reports for a parsed document. */
function expectedEvents(document: Record<string, unknown>): Event[] {
  const events: Event[] = [];
  for (const [key, value] of Object.entries(document)) {
    if (key.startsWith('s') && Array.isArray(value)) {
      events.push(['start', key]);
      value.forEach((item, index) => {
        events.push(['element', index, item]);
      });
      events.push(['end', value.length]);
    } else {
      events.push(['member', key, value]);
    }
  }
  return events;
}

const CHUNK_SIZES = [1, 7, 64 * 1024];

describe('JsonObjectSplitter', () => {
  it.each(CHUNK_SIZES)('splits members and streamed items, in chunks of %i bytes', (size) => {
    const text = `\uFEFF {\r\n "a" : 1 ,"s1":[ {"x":"]}\\"[{,"} , [1,[2]] ,"s",null,true ] ,
      "b":{"c":[1,2,{"d":"}"}]},"s2":[],"s3":"not an array","e":-1.5e3 ,"f":"\\u00e9\\\\"}\n`;
    expect(split(text, size)).toEqual([
      ['member', 'a', 1],
      ['start', 's1'],
      ['element', 0, { x: ']}"[{,' }],
      ['element', 1, [1, [2]]],
      ['element', 2, 's'],
      ['element', 3, null],
      ['element', 4, true],
      ['end', 5],
      ['member', 'b', { c: [1, 2, { d: '}' }] }],
      ['start', 's2'],
      ['end', 0],
      ['member', 's3', 'not an array'],
      ['member', 'e', -1500],
      ['member', 'f', 'é\\'],
    ]);
  });

  it('keeps multi-byte characters split across chunks', () => {
    const document = { s: ['日本語', '😀 emoji', { ключ: 'значение' }], é: 'ü' };
    for (const size of [1, 2, 3, 5]) {
      expect(split(JSON.stringify(document), size)).toEqual(expectedEvents(document));
    }
  });

  it('takes empty chunks anywhere', () => {
    const events: unknown[] = [];
    const splitter = new JsonObjectSplitter({
      modeOf: () => MemberMode.ELEMENTS,
      member: (key, value) => events.push([key, value.parse()]),
      arrayStart: () => {},
      element: (index, value) => events.push([index, value.parse()]),
      arrayEnd: () => {},
    });
    for (const piece of ['{"a', '', '":[{"b', '', '":1}', '', '],"c":"d', '', '"}', '']) {
      splitter.push(Buffer.from(piece));
    }
    splitter.end();
    expect(events).toEqual([
      [0, { b: 1 }],
      ['c', 'd'],
    ]);
  });

  it('accepts an empty object, with or without a BOM', () => {
    expect(split('{}', 1)).toEqual([]);
    expect(split('\uFEFF{ }\n', 1)).toEqual([]);
  });

  it('reports only the start and end of ARRAY_ONLY arrays and nothing of SKIP members', () => {
    const modes: Record<string, MemberMode> = {
      a: MemberMode.ARRAY_ONLY,
      b: MemberMode.SKIP,
      c: MemberMode.ARRAY_ONLY,
      d: MemberMode.SKIP,
    };
    const text = '{"a":[1,{"x":[2]},"]"],"b":[1,2],"c":{"y":1},"d":"z"}';
    expect(split(text, 2, (key) => modes[key] as MemberMode)).toEqual([
      ['start', 'a'],
      ['end', 3],
      ['member', 'c', { y: 1 }],
    ]);
  });

  it('gives the raw bytes and the offset of each slice', () => {
    const seen: [string, number, number][] = [];
    const splitter = new JsonObjectSplitter({
      modeOf: () => MemberMode.ELEMENTS,
      member: (_, value) => seen.push([value.text(), value.offset, value.bytes().length]),
      arrayStart: () => {},
      element: (_, value) => seen.push([value.text(), value.offset, value.bytes().length]),
      arrayEnd: () => {},
    });
    const text = '{"a": [ "é" , 2],"b":  3 }';
    for (const byte of Buffer.from(text)) splitter.push(Uint8Array.of(byte));
    splitter.end();
    expect(seen).toEqual([
      ['"é" ', 8, 5],
      ['2', 15, 1],
      ['3 ', 24, 2],
    ]);
  });

  describe('structural errors, located at a byte offset', () => {
    it.each([
      ['a truncated document', '{"a":[1,2', 9],
      ['a truncated key', '{"ab', 4],
      ['a missing closing brace', '{"a":1', 6],
      ['trailing garbage', '{"a":1} x', 8],
      ['a second root value', '{}{}', 2],
      ['a missing colon', '{"a" 1}', 5],
      ['a missing comma between members', '{"a":1 "b":2}', 7],
      ['a trailing comma in the root', '{"a":1,}', 7],
      ['a leading comma in the root', '{,"a":1}', 1],
      ['a missing value', '{"a":}', 5],
      ['a missing value before a comma', '{"a":,"b":1}', 5],
      ['an unquoted key', '{a:1}', 1],
      ['a bracket closing the root', '{"a":1]', 6],
      ['a brace closing a streamed array', '{"s":[1}', 7],
      ['an empty element', '{"s":[1,,2]}', 8],
      ['a trailing comma in a streamed array', '{"s":[1,]}', 8],
      ['a leading comma in a streamed array', '{"s":[,1]}', 6],
    ])('%s', (_, text, offset) => {
      for (const size of [1, 3, 100]) {
        const error = splitError(text, size);
        expect(error.offset).toBe(offset);
        expect(error.declined).toBe(false);
      }
    });

    it.each([
      ['a missing comma in a streamed array', '{"s":[1 2]}', 8],
      ['a member value closed by the wrong bracket', '{"a":[1},"b":2}', 7],
      ['garbage in an element', '{"s":[{"x":tru}]}', 6],
      ['a bad escape in a key', '{"a\\x":1}', 4],
      ['a control character in a key', '{"a\nb":1}', 3],
      ['a mismatched bracket inside an element', '{"s":[[1}]]}', 8],
    ])('%s, found by JSON.parse of the slice', (_, text, offset) => {
      expect(splitError(text).offset).toBe(offset);
    });

    it('locates an error inside a slice by its bytes, multi-byte characters included', () => {
      const text = '{"a": "é€😀" x}';
      expect(splitError(text).offset).toBe(Buffer.from('{"a": "é€😀" ').length);
    });

    it.each([
      ['an empty document', ''],
      ['only whitespace', ' \n\t'],
      ['an array', '[1]'],
      ['a string', '"x"'],
      ['null', 'null'],
      ['a broken BOM', '\xEF\xBB{}'],
      ['a BOM after whitespace', ' \uFEFF{}'],
    ])('marks %s as not an object', (_, text) => {
      const bytes = text.startsWith('\xEF') ? Buffer.from(text, 'latin1') : Buffer.from(text);
      const error = splitError(bytes, 1);
      expect(error.declined).toBe(true);
    });
  });

  describe('properties', () => {
    const whitespace = fc.stringMatching(/^[ \t\r\n]{0,3}$/);

    /** JSON text of `value` with random RFC 8259 whitespace between every token. */
    function serialize(value: unknown, spaces: () => string): string {
      if (Array.isArray(value)) {
        const items = value.map((item) => `${spaces()}${serialize(item, spaces)}${spaces()}`);
        return `[${items.join(',') || spaces()}]`;
      }
      if (value !== null && typeof value === 'object') {
        const members = Object.entries(value).map(
          ([key, item]) =>
            `${spaces()}${JSON.stringify(key)}${spaces()}:${spaces()}${serialize(item, spaces)}${spaces()}`,
        );
        return `{${members.join(',') || spaces()}}`;
      }
      return JSON.stringify(value);
    }

    const document = fc.dictionary(
      fc.oneof(fc.constantFrom('s', 's1', 'sx', 'a', 'b'), fc.string()),
      fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 6 })),
      { maxKeys: 6 },
    );

    it('reports members and items that JSON.parse to the original, whatever the chunking', () => {
      fc.assert(
        fc.property(
          document,
          fc.array(whitespace, { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 1, max: 40 }),
          fc.boolean(),
          (value, spaces, size, bom) => {
            let next = 0;
            const text = serialize(value, () => spaces[next++ % spaces.length] as string);
            // The reference: what JSON.parse makes of the text (it keeps the last of
            // repeated keys; the splitter reports each, so compare with unique keys only).
            const parsed = JSON.parse(text) as Record<string, unknown>;
            const events = split(
              `${bom ? '\uFEFF' : ''}${spaces[0]}${text}${spaces[1] ?? ''}`,
              size,
            );
            expect(events).toEqual(expectedEvents(parsed));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('accepts exactly what JSON.parse accepts for an object, after random edits', () => {
      const edited = fc
        .tuple(
          document,
          fc.array(
            fc.tuple(
              fc.nat(),
              fc.constantFrom('', ',', ':', '"', '[', ']', '{', '}', '\\', ' ', 'x', '1'),
            ),
            { minLength: 1, maxLength: 3 },
          ),
        )
        .map(([value, edits]) => {
          let text = JSON.stringify(value);
          for (const [position, insert] of edits) {
            const at = position % (text.length + 1);
            // Replace one character, or insert when the replacement is empty.
            text =
              insert === ''
                ? text.slice(0, at) + text.slice(at + 1)
                : text.slice(0, at) + insert + text.slice(at);
          }
          return text;
        });
      fc.assert(
        fc.property(edited, fc.integer({ min: 1, max: 16 }), (text, size) => {
          let reference: unknown;
          try {
            reference = JSON.parse(text);
          } catch {
            reference = undefined;
          }
          const isObject =
            reference !== null && typeof reference === 'object' && !Array.isArray(reference);
          let accepted = true;
          try {
            split(text, size);
          } catch (error) {
            if (!(error instanceof JsonSplitError)) throw error;
            accepted = false;
            expect(error.offset).toBeGreaterThanOrEqual(0);
            expect(error.offset).toBeLessThanOrEqual(Buffer.byteLength(text));
          }
          expect(accepted).toBe(isObject);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
