export interface TextPosition {
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units as an editor (and JSON.parse) counts them. */
  column: number;
  /** UTF-16 code units before the offset: where JSON.parse of the whole text would say. */
  position: number;
}

const LINE_FEED = 0x0a;

/**
 * Where a byte offset of a UTF-8 document falls, counted as parseJsonDocument counts on the
 * decoded text (a leading BOM is not part of the text). Only run for an error message, so a
 * plain pass over the chunks up to the offset is fine.
 */
export function textPositionOf(chunks: Iterable<Uint8Array>, offset: number): TextPosition {
  let line = 1;
  let position = 0;
  let lineStart = 0;
  let at = 0;
  let bom = 0;
  for (const chunk of chunks) {
    const end = Math.min(chunk.length, offset - at);
    for (let index = 0; index < end; index += 1) {
      const byte = chunk[index] as number;
      if (at + index < 3 && bom === at + index && byte === BOM[bom]) {
        bom += 1;
        continue;
      }
      if (byte === LINE_FEED) {
        line += 1;
        position += 1;
        lineStart = position;
      } else if ((byte & 0xc0) !== 0x80) {
        // A UTF-8 sequence's first byte: one code unit, two for a 4-byte sequence.
        position += byte >= 0xf0 ? 2 : 1;
      }
    }
    at += chunk.length;
    if (at >= offset) break;
  }
  return { line, column: position - lineStart + 1, position };
}

const BOM = [0xef, 0xbb, 0xbf];
