import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/audit-log.js';
import { DomainError, type ProblemDetail } from '../errors.js';
import { type Problem, problem, STATUS_BY_KIND } from './problem.js';

interface ValidationIssue {
  instancePath: string;
  message?: string | undefined;
  keyword?: string;
  params?: Record<string, unknown>;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The one place where errors become HTTP: every failure answers RFC 9457 problem+json. */
export function installErrorHandling(app: FastifyInstance, audit: AuditLog): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const body = toProblem(error, request);
    if (body.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    await recordRefusal(audit, request, body);
    if (!request.raw.complete) lingerOnUnreadBody(request, reply);
    return sendProblem(reply, body);
  });

  app.setNotFoundHandler(async (request, reply) =>
    sendProblem(
      reply,
      problem(404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`),
    ),
  );
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

function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  if (error instanceof DomainError) {
    return problem(STATUS_BY_KIND[error.kind], error.kind, error.message, {
      errors: error.errors,
      reason: error.reason,
    });
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
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'payload_too_large', 'The request body exceeds the configured limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'unsupported_media_type', `Unsupported Content-Type for ${request.url}.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'malformed_body', 'The JSON body is empty.');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const kind = error instanceof SyntaxError ? 'malformed_body' : 'bad_request';
    const detail =
      error instanceof SyntaxError ? `The body is not valid JSON: ${error.message}` : error.message;
    return problem(status, kind, detail);
  }
  return problem(500, 'internal', 'The server could not complete the request.');
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
  request: FastifyRequest,
  body: Problem,
): Promise<void> {
  const refusal = body.status === 401 || body.status === 403;
  const refusedChange = body.status >= 400 && body.status < 500 && MUTATING.has(request.method);
  if (!refusal && !refusedChange) return;
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
