import { JsonSlice } from './json-slice.js';
import { JsonSplitError } from './json-split-error.js';

export { JsonSlice, JsonSplitError };

/**
 * How the splitter reports one top-level member, chosen by the handler when the key is read.
 * - VALUE: the whole value's bytes;
 * - ELEMENTS: an array value element by element (any other value as with VALUE);
 * - ARRAY_ONLY: an array value's start and end only, its elements scanned and dropped (any
 *   other value as with VALUE), for a pass that leaves the array to a later one;
 * - SKIP: nothing, the value is only scanned.
 */
export const MemberMode = { VALUE: 0, ELEMENTS: 1, ARRAY_ONLY: 2, SKIP: 3 } as const;
export type MemberMode = (typeof MemberMode)[keyof typeof MemberMode];

/**
 * Receives the members of the root object. A JsonSlice is only valid during the call: it
 * points into the caller's chunk. Offsets count bytes from the document's start, a UTF-8 BOM
 * included.
 */
export interface SplitHandler {
  modeOf(key: string): MemberMode;
  member(key: string, value: JsonSlice): void;
  arrayStart(key: string): void;
  element(index: number, value: JsonSlice): void;
  arrayEnd(count: number): void;
}

// Where the splitter is in the root object's grammar.
const BEFORE_ROOT = 0;
const KEY_OR_END = 1;
const KEY = 2;
const COLON = 3;
const VALUE_START = 4;
const VALUE = 5;
const ARRAY_FIRST = 6;
const ELEMENT_START = 7;
const ELEMENT = 8;
const AFTER_MEMBER = 9;
const KEY_START = 10;
const AFTER_ROOT = 11;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON_BYTE = 0x3a;
const BOM = [0xef, 0xbb, 0xbf];

// What a byte means outside strings while a value is scanned; 0 for all the bytes a value
// is mostly made of, so that the scanning loop does one table load and one test per byte.
const C_QUOTE = 1;
const C_OPEN = 2;
const C_CLOSE_BRACE = 3;
const C_CLOSE_BRACKET = 4;
const C_COMMA = 5;
const SCAN_CLASS = new Uint8Array(256);
SCAN_CLASS[QUOTE] = C_QUOTE;
SCAN_CLASS[OPEN_BRACE] = C_OPEN;
SCAN_CLASS[OPEN_BRACKET] = C_OPEN;
SCAN_CLASS[CLOSE_BRACE] = C_CLOSE_BRACE;
SCAN_CLASS[CLOSE_BRACKET] = C_CLOSE_BRACKET;
SCAN_CLASS[COMMA] = C_COMMA;

/** RFC 8259 whitespace: space, tab, line feed, carriage return. */
const WHITESPACE = new Uint8Array(256);
for (const byte of [0x20, 0x09, 0x0a, 0x0d]) WHITESPACE[byte] = 1;

/**
 * Splits a JSON document whose root is an object into its top-level members, fed in chunks,
 * without parsing them: it follows strings (and their escapes) and bracket depth, and checks
 * the root object's own grammar (keys, colons, commas, the closing brace, nothing after it).
 * Everything inside a reported value is left to JSON.parse of that value's bytes, which
 * together with this grammar accepts exactly the documents JSON.parse accepts.
 *
 * @throws JsonSplitError from push/end at the first structural error.
 */
export class JsonObjectSplitter {
  readonly #handler: SplitHandler;
  #state = BEFORE_ROOT;
  /** Offset of the current chunk's first byte in the document. */
  #base = 0;
  // Inside a value being scanned.
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Whether the bytes of the value (or key) being scanned are wanted. */
  #keep = false;
  /** Earlier chunks' part of the value or key being scanned, copied. */
  #carried: Buffer[] = [];
  /** Document offset of the value (or key) being scanned. */
  #start = 0;
  #key = '';
  #mode: MemberMode = MemberMode.VALUE;
  #index = 0;
  #bomBytes = 0;
  /** Handed to the handler for every value: one object, refilled. */
  readonly #slice = new JsonSlice();

  constructor(handler: SplitHandler) {
    this.#handler = handler;
  }

  /** Feeds the next chunk; the splitter keeps (copies) what it needs of it. */
  push(bytes: Uint8Array): void {
    // A Buffer view, so that the handler gets Buffers it can decode without another view.
    const chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const length = chunk.length;
    let at = 0;
    while (at < length) {
      switch (this.#state) {
        case VALUE:
        case ELEMENT:
          at = this.#scanValue(chunk, at);
          break;
        case KEY:
          at = this.#scanKey(chunk, at);
          break;
        default:
          at = this.#structural(chunk, at);
      }
    }
    if (this.#keep && (this.#state === VALUE || this.#state === ELEMENT || this.#state === KEY)) {
      const from = Math.max(0, this.#start - this.#base);
      // A copy: Buffer#slice would be a view of a chunk the caller may reuse.
      if (from < length) this.#carried.push(Buffer.from(chunk.subarray(from)));
    }
    this.#base += length;
  }

  /** Says the document is complete. */
  end(): void {
    if (this.#state === AFTER_ROOT) return;
    if (this.#state === BEFORE_ROOT) {
      throw new JsonSplitError('The document is empty: expected an object', this.#base, true);
    }
    throw new JsonSplitError('Unexpected end of JSON input', this.#base);
  }

  /** One byte of the root object's grammar (outside keys and values); returns the next index. */
  #structural(chunk: Buffer, at: number): number {
    const byte = chunk[at] as number;
    const offset = this.#base + at;
    const state = this.#state;
    if (state === BEFORE_ROOT && offset < 3 && this.#bom(byte, offset)) return at + 1;
    if (WHITESPACE[byte] === 1) return at + 1;
    switch (state) {
      case BEFORE_ROOT:
        if (byte !== OPEN_BRACE || (this.#bomBytes > 0 && this.#bomBytes < 3)) {
          throw new JsonSplitError('The root of the document is not an object', offset, true);
        }
        this.#state = KEY_OR_END;
        return at + 1;
      case KEY_OR_END:
      case KEY_START:
        if (byte === QUOTE) {
          this.#beginKey(offset);
          return at + 1;
        }
        if (byte === CLOSE_BRACE && state === KEY_OR_END) {
          this.#state = AFTER_ROOT;
          return at + 1;
        }
        throw unexpected(byte, offset, 'expected a double-quoted property name');
      case COLON:
        if (byte !== COLON_BYTE) throw unexpected(byte, offset, "expected ':' after property name");
        this.#state = VALUE_START;
        return at + 1;
      case VALUE_START:
        return this.#beginValue(byte, offset, at);
      case ARRAY_FIRST:
        if (byte === CLOSE_BRACKET) {
          this.#endArray();
          return at + 1;
        }
        this.#beginElement(byte, offset);
        return at;
      case ELEMENT_START:
        if (byte === CLOSE_BRACKET)
          throw unexpected(byte, offset, 'expected a value after a comma');
        this.#beginElement(byte, offset);
        return at;
      case AFTER_MEMBER:
        if (byte === COMMA) {
          this.#state = KEY_START;
          return at + 1;
        }
        if (byte === CLOSE_BRACE) {
          this.#state = AFTER_ROOT;
          return at + 1;
        }
        throw unexpected(byte, offset, "expected ',' or '}' after property value");
      default:
        throw new JsonSplitError('Unexpected non-whitespace character after JSON', offset);
    }
  }

  /** Whether the byte at `offset` (< 3) continues a UTF-8 BOM; a broken one is an error. */
  #bom(byte: number, offset: number): boolean {
    if (offset === this.#bomBytes && byte === BOM[offset]) {
      this.#bomBytes += 1;
      return true;
    }
    if (this.#bomBytes > 0 && this.#bomBytes < 3) {
      throw new JsonSplitError('The document starts with a broken byte order mark', offset, true);
    }
    return false;
  }

  #beginKey(offset: number) {
    this.#state = KEY;
    this.#start = offset;
    this.#keep = true;
    this.#escaped = false;
    this.#carried = [];
  }

  #beginValue(byte: number, offset: number, at: number): number {
    const mode = this.#mode;
    if (byte === OPEN_BRACKET && mode !== MemberMode.VALUE && mode !== MemberMode.SKIP) {
      this.#handler.arrayStart(this.#key);
      this.#index = 0;
      this.#state = ARRAY_FIRST;
      return at + 1;
    }
    if (byte === CLOSE_BRACE || byte === COMMA || byte === CLOSE_BRACKET) {
      throw unexpected(byte, offset, 'expected a value');
    }
    this.#state = VALUE;
    this.#startScan(offset, mode !== MemberMode.SKIP);
    return at;
  }

  #beginElement(byte: number, offset: number) {
    if (byte === COMMA || byte === CLOSE_BRACE) throw unexpected(byte, offset, 'expected a value');
    this.#state = ELEMENT;
    this.#startScan(offset, this.#mode === MemberMode.ELEMENTS);
  }

  #startScan(offset: number, keep: boolean) {
    this.#start = offset;
    this.#keep = keep;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    if (this.#carried.length > 0) this.#carried = [];
  }

  #endArray() {
    this.#handler.arrayEnd(this.#index);
    this.#state = AFTER_MEMBER;
  }

  /** Scans a key string up to its closing quote; returns the next index. */
  #scanKey(chunk: Buffer, from: number): number {
    const length = chunk.length;
    let escaped = this.#escaped;
    for (let at = from; at < length; at += 1) {
      const byte = chunk[at] as number;
      if (escaped) {
        escaped = false;
      } else if (byte === BACKSLASH) {
        escaped = true;
      } else if (byte === QUOTE) {
        this.#key = this.#taken(chunk, at + 1).parse() as string;
        this.#mode = this.#handler.modeOf(this.#key);
        this.#keep = false;
        this.#state = COLON;
        return at + 1;
      }
    }
    this.#escaped = escaped;
    return length;
  }

  /**
   * The hot loop: scans a member value or an array element up to the byte that ends it (a
   * comma, or the closing bracket of the enclosing object or array, at depth 0).
   */
  #scanValue(chunk: Buffer, from: number): number {
    const length = chunk.length;
    let depth = this.#depth;
    let at = from;
    if (this.#inString) at = this.#skipString(chunk, at);
    for (; at < length; at += 1) {
      const kind = SCAN_CLASS[chunk[at] as number];
      if (kind === 0) continue;
      if (kind === C_QUOTE) {
        at = this.#skipString(chunk, at + 1) - 1;
        continue;
      }
      if (kind === C_OPEN) {
        depth += 1;
      } else if (depth > 0 && kind !== C_COMMA) {
        depth -= 1;
      } else if (depth === 0) {
        this.#depth = 0;
        this.#endValue(chunk, at, kind);
        return at + 1;
      }
    }
    this.#depth = depth;
    return length;
  }

  /** Skips string content from `from` (just after the opening quote or mid-string). */
  #skipString(chunk: Buffer, from: number): number {
    const length = chunk.length;
    let at = from;
    if (this.#escaped) {
      this.#escaped = false;
      at += 1;
    }
    for (; at < length; at += 1) {
      const byte = chunk[at];
      if (byte === QUOTE) {
        this.#inString = false;
        return at + 1;
      }
      if (byte === BACKSLASH) {
        at += 1;
        if (at === length) {
          this.#escaped = true;
          break;
        }
      }
    }
    this.#inString = true;
    return length;
  }

  /** A value or element ends at `at`, on a byte of class `kind` at depth 0. */
  #endValue(chunk: Buffer, at: number, kind: number) {
    const offset = this.#base + at;
    const inArray = this.#state === ELEMENT;
    if (!inArray && kind === C_CLOSE_BRACKET) {
      throw unexpected(CLOSE_BRACKET, offset, "expected ',' or '}' after property value");
    }
    if (inArray && kind === C_CLOSE_BRACE) {
      throw unexpected(CLOSE_BRACE, offset, "expected ',' or ']' after array element");
    }
    if (this.#keep) {
      const slice = this.#taken(chunk, at);
      if (inArray) {
        this.#handler.element(this.#index, slice);
      } else {
        this.#handler.member(this.#key, slice);
      }
    }
    this.#keep = false;
    if (inArray) {
      this.#index += 1;
      if (kind === C_COMMA) {
        this.#state = ELEMENT_START;
      } else {
        this.#endArray();
      }
    } else {
      this.#state = kind === C_COMMA ? KEY_START : AFTER_ROOT;
    }
  }

  /** The bytes from #start up to `end` of this chunk, joined to the carried part if any. */
  #taken(chunk: Buffer, end: number): JsonSlice {
    const slice = this.#slice;
    slice.offset = this.#start;
    const from = this.#start - this.#base;
    if (from >= 0) {
      slice.buffer = chunk;
      slice.start = from;
      slice.end = end;
      return slice;
    }
    const carried = this.#carried;
    this.#carried = [];
    if (end > 0) carried.push(chunk.subarray(0, end));
    const joined = carried.length === 1 ? (carried[0] as Buffer) : Buffer.concat(carried);
    slice.buffer = joined;
    slice.start = 0;
    slice.end = joined.length;
    return slice;
  }
}

function unexpected(byte: number, offset: number, expected: string): JsonSplitError {
  return new JsonSplitError(
    `Unexpected ${JSON.stringify(String.fromCharCode(byte))} in JSON, ${expected}`,
    offset,
  );
}
