import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/audit-log.js';
import { DomainError, type ProblemDetail } from '../errors.js';
import { flatText, quote } from '../text/quote.js';
import { type Problem, problem, STATUS_BY_KIND } from './problem.js';
import { ANONYMOUS_WINDOW_MS, type AnonymousRefusals } from './request-context.js';

interface ValidationIssue {
  instancePath: string;
  message?: string | undefined;
  keyword?: string;
  params?: Record<string, unknown>;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A request body refused before validation (bad JSON, a poisoned key): always a 400. */
export class BodyRefusal extends Error {
  readonly kind: string;
  readonly errors: ProblemDetail[];
  readonly reason: string | undefined;

  constructor(kind: string, detail: string, errors: ProblemDetail[] = [], reason?: string) {
    super(detail);
    this.kind = kind;
    this.errors = errors;
    this.reason = reason;
  }
}

/** The one place where errors become HTTP: every failure answers RFC 9457 problem+json. */
export function installErrorHandling(
  app: FastifyInstance,
  audit: AuditLog,
  anonymous: AnonymousRefusals,
  pages?: PageFallback,
): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const body = toProblem(error, request);
    if (body.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    await recordRefusal(audit, anonymous, request, body);
    if (!request.raw.complete) lingerOnUnreadBody(request, reply);
    return sendProblem(reply, body);
  });

  app.setNotFoundHandler(
    async (request, reply) =>
      // A page of the dashboard (src/web) first; /api/ and non-page requests stay problems.
      pages?.(request, reply) ??
      sendProblem(
        reply,
        // The path bounded: a 404 for a megabyte-long URL must not echo it.
        problem(
          404,
          'not_found',
          `No route for ${request.method} ${flatText(request.url.split('?')[0] ?? '', 120)}.`,
        ),
      ),
  );
}

/** Answers an unmatched request with a page (the dashboard's SPA fallback), or returns null. */
export type PageFallback = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | null;

/**
 * A refusal without a valid token: logged every time, counted in memory per source, and
 * written to the audit log once per source and window (see AnonymousRefusals), so a flood
 * cannot grow the log without bound. `cabinet_anonymous_refusals_total` counts each one.
 */
async function recordAnonymousRefusal(
  audit: AuditLog,
  anonymous: AnonymousRefusals,
  request: FastifyRequest,
  body: Problem,
): Promise<void> {
  const route = request.routeOptions.url ?? request.url.split('?')[0];
  const opened = anonymous.note(request.ip, body.status);
  request.log.warn(
    {
      source_ip: request.ip,
      method: request.method,
      route,
      status: body.status,
      refused_in_window: anonymous.count(request.ip),
    },
    'anonymous request refused',
  );
  if (!opened) return;
  try {
    await audit.record(request.ctx, {
      type: 'request.refused.anonymous',
      subject: request.ip,
      data: {
        source_ip: request.ip,
        window_seconds: ANONYMOUS_WINDOW_MS / 1000,
        first: { method: request.method, route, status: body.status, reason: body.reason ?? null },
        previous_window: opened.previous,
      },
    });
  } catch (error) {
    request.log.error({ err: error }, 'could not record the refusal in the audit log');
  }
}

/** How long a refused upload's remaining body is read and dropped before the socket goes. */
const LINGER_MS = 2_000;

/**
 * A body refused before it was read (413, 404 on an upload, …): answer first, then keep
 * reading and dropping what the client still sends, for a bounded time. Closing at once with
 * unread bytes in the socket makes the kernel send a reset, which can wipe the answer before
 * the client reads it; draining forever would let a client hold the connection.
 */
function lingerOnUnreadBody(request: FastifyRequest, reply: FastifyReply): void {
  reply.raw.once('finish', () => {
    const incoming = request.raw;
    if (incoming.complete) return;
    incoming.resume();
    // In-process injection (tests) has a socket without destroy.
    const timer = setTimeout(() => incoming.socket?.destroy?.(), LINGER_MS);
    timer.unref();
    incoming.once('end', () => clearTimeout(timer));
    incoming.socket?.once('close', () => clearTimeout(timer));
  });
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  const correlation = reply.getHeader('x-correlation-id');
  return reply
    .code(body.status)
    .type('application/problem+json')
    .send({ ...body, ...(typeof correlation === 'string' ? { correlation_id: correlation } : {}) });
}

export function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  if (error instanceof DomainError) {
    return problem(STATUS_BY_KIND[error.kind], error.kind, error.message, {
      errors: error.errors,
      reason: error.reason,
    });
  }
  if (error instanceof BodyRefusal) {
    return problem(400, error.kind, error.message, { errors: error.errors, reason: error.reason });
  }
  if (Array.isArray(error.validation)) {
    const errors = validationErrors(error.validation, error.validationContext);
    const first = errors[0];
    return problem(
      400,
      'validation',
      first ? `Invalid request: ${first.path} ${first.message}` : 'Invalid request.',
      { errors },
    );
  }
  const framework = frameworkProblem(error, request);
  if (framework !== null) return framework;
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Some other library's refusal: its message may quote the request, so it is bounded.
    return problem(status, 'bad_request', flatText(error.message, 200));
  }
  return problem(500, 'internal', 'The server could not complete the request.');
}

/**
 * The errors fastify raises itself, each said in our words: fastify's messages quote the URL
 * or the body (a 100 kB path parameter, the text around a JSON syntax error), and a refusal
 * must not echo what it refuses.
 */
function frameworkProblem(error: FastifyError, request: FastifyRequest): Problem | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'payload_too_large', 'The request body exceeds the configured limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = request.headers['content-type'];
      const given = type ? `The Content-Type ${quote(type)}` : 'A body without a Content-Type';
      return problem(
        415,
        'unsupported_media_type',
        `${given} is not accepted here; send application/json.`,
      );
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'malformed_body', 'The JSON body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(400, 'malformed_body', 'The body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, 'bad_request', 'The body does not match its Content-Length.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(414, 'uri_too_long', 'A path parameter is longer than this server reads.');
    case 'FST_ERR_BAD_URL':
      return problem(400, 'bad_request', 'The URL is not valid (a malformed percent-encoding).');
  }
  if (error instanceof SyntaxError && (error.statusCode ?? 500) < 500) {
    return problem(400, 'malformed_body', 'The body is not valid JSON.');
  }
  if (typeof error.code === 'string' && error.code.startsWith('FST_ERR_')) {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return problem(status, 'bad_request', `The request was refused (${error.code}).`);
    }
  }
  return null;
}

function validationErrors(issues: ValidationIssue[], context: string | undefined): ProblemDetail[] {
  const where = context && context !== 'body' ? `${context}:` : '';
  const errors: ProblemDetail[] = [];
  for (const issue of issues) {
    const base = issue.instancePath === '/' ? '' : issue.instancePath;
    const keys = issue.keyword === 'unrecognized_keys' ? issue.params?.keys : undefined;
    if (Array.isArray(keys)) {
      for (const key of keys) {
        errors.push({ path: `${where}${base}/${String(key)}`, message: 'unknown field' });
      }
      continue;
    }
    errors.push({ path: `${where}${base || '/'}`, message: issue.message ?? 'invalid' });
  }
  return errors;
}

/**
 * Every refused action is an audit event: 401 and 403 always, and any other refusal of a
 * request that would have changed something. The business transaction has rolled back by
 * now, so the event is written in a transaction of its own.
 */
async function recordRefusal(
  audit: AuditLog,
  anonymous: AnonymousRefusals,
  request: FastifyRequest,
  body: Problem,
): Promise<void> {
  const refusal = body.status === 401 || body.status === 403;
  const refusedChange = body.status >= 400 && body.status < 500 && MUTATING.has(request.method);
  if (!refusal && !refusedChange) return;
  if (!request.principal) return recordAnonymousRefusal(audit, anonymous, request, body);
  // What was refused is about the record the path names (a CAB request, an exception, …),
  // so the refusal shows in that record's history; routes without an id name the route.
  const id = (request.params as { id?: unknown } | undefined)?.id;
  try {
    await audit.record(request.ctx, {
      type: body.status === 401 ? 'auth.refused' : 'request.refused',
      subject: typeof id === 'string' && id.length > 0 ? id : (request.routeOptions.url ?? null),
      data: {
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0],
        status: body.status,
        problem: body.type,
        reason: body.reason ?? null,
        detail: body.detail,
      },
    });
  } catch (error) {
    request.log.error({ err: error }, 'could not record the refusal in the audit log');
  }
}
