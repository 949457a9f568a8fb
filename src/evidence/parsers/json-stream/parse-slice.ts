import { JsonSplitError } from './json-split-error.js';

const POSITION = / at position (\d+)/;

/**
 * A JSON.parse error on `text`, a slice of a document starting at byte `offset`, located in
 * the document. V8 names the failing position (in UTF-16 units of the slice) in most
 * messages: it becomes the error's byte offset and is dropped from the message (the caller
 * states the position in the document's terms). Without one (V8 quotes the source instead)
 * the error is located at the start of the slice.
 */
export function sliceError(error: Error, text: string, offset: number): JsonSplitError {
  const position = POSITION.exec(error.message);
  if (position === null) return new JsonSplitError(error.message, offset);
  const at = offset + Buffer.byteLength(text.slice(0, Number(position[1])));
  return new JsonSplitError(error.message.replace(POSITION, ''), at);
}
