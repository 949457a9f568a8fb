/**
 * A JSON syntax error at a byte offset of the document. `declined` marks a document the
 * splitter does not split rather than necessarily invalid JSON — its root is not an object
 * (or it is empty) — or one whose refusal the whole-document parse words best (a lone
 * surrogate, named there by JSON pointer): the caller then parses the document whole.
 */
export class JsonSplitError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly declined = false,
  ) {
    super(message);
    this.name = 'JsonSplitError';
  }
}
