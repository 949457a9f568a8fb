/**
 * Domain errors. They carry no HTTP: the single mapping to problem+json lives in
 * src/platform/http/error-handler.ts, so services and pure cores stay transport-free.
 */

export type ErrorKind =
  | 'bad_request'
  | 'invalid_document'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable';

/** One located problem: `path` is a JSON pointer (`/components/3/hashes/0/alg`) or `line N`. */
export interface ProblemDetail {
  path: string;
  message: string;
}

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly errors: ProblemDetail[];
  /** A short machine-readable reason (e.g. `certificate_expired`), stable for clients. */
  readonly reason: string | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { errors?: ProblemDetail[]; reason?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.errors = options.errors ?? [];
    this.reason = options.reason;
  }
}

/** The request itself is malformed: bad JSON, wrong types, unknown fields. */
export class BadRequestError extends DomainError {
  constructor(message: string, errors: ProblemDetail[] = [], reason?: string) {
    super('bad_request', message, { errors, reason });
  }
}

/** A document (SBOM, scan, VEX, …) was read but is structurally invalid for its format. */
export class InvalidDocumentError extends DomainError {
  constructor(message: string, errors: ProblemDetail[] = [], reason?: string) {
    super('invalid_document', message, { errors, reason });
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid bearer token is required.') {
    super('unauthenticated', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, reason?: string) {
    super('forbidden', message, { reason });
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('not_found', `${what} ${id} was not found.`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, reason?: string) {
    super('conflict', message, { reason });
  }
}

/** Well-formed request that a business rule refuses (wrong state, expiry in the past, …). */
export class UnprocessableError extends DomainError {
  constructor(message: string, errors: ProblemDetail[] = [], reason?: string) {
    super('unprocessable', message, { errors, reason });
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super('payload_too_large', `The request body exceeds the limit of ${limitBytes} bytes.`);
  }
}
