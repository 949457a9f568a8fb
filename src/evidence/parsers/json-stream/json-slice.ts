import {
  findLoneSurrogate,
  firstSurrogateEscape,
  LONE_SURROGATE_MESSAGE,
  mayHoldLoneSurrogate,
} from '../../../platform/text/well-formed.js';
import { JsonSplitError } from './json-split-error.js';
import { sliceError } from './parse-slice.js';

/**
 * One value's bytes as the splitter found them, within a Buffer it may reuse: valid only
 * during the handler call that receives it. Decoding straight from the chunk spares a view
 * per value (a 50 MB SBOM has 150k of them).
 */
export class JsonSlice {
  buffer: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  /** Byte offset of the slice's first byte in the document. */
  offset = 0;

  /** The slice decoded as UTF-8. */
  text(): string {
    return this.buffer.toString('utf8', this.start, this.end);
  }

  /** The slice's bytes (a view: copy them to keep them). */
  bytes(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }

  /**
   * JSON.parse of the slice.
   * @throws JsonSplitError located in the document when the slice is not one JSON value.
   */
  parse(): unknown {
    const text = this.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw sliceError(error as Error, text, this.offset);
    }
    if (mayHoldLoneSurrogate(text) && findLoneSurrogate(value) !== null) {
      // Declined: the whole-document parse refuses it with the pointer of the string.
      const at = this.offset + Buffer.byteLength(text.slice(0, firstSurrogateEscape(text)));
      throw new JsonSplitError(LONE_SURROGATE_MESSAGE, at, true);
    }
    return value;
  }
}
