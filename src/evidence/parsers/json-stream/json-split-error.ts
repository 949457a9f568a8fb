/**
 * A JSON syntax error at a byte offset of the document. `notAnObject` marks a document whose
 * root is not an object (or that is empty): a document the splitter does not split rather
 * than necessarily invalid JSON.
 */
export class JsonSplitError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly notAnObject = false,
  ) {
    super(message);
    this.name = 'JsonSplitError';
  }
}
