import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  findLoneSurrogate,
  LONE_SURROGATE_MESSAGE,
  mayHoldLoneSurrogate,
} from '../text/well-formed.js';
import { BodyRefusal, sendProblem, toProblem } from './error-handler.js';
import { problem } from './problem.js';

/**
 * Fastify options that route the errors fastify raises outside a request's lifecycle through
 * the one problem+json mapping: a bad URL or an over-long path parameter (raised by the router
 * before any hook runs) and errors of the HTTP parser itself (headers too large, a timeout,
 * garbage on the socket). Fastify's own answers are JSON of another shape that echo the URL.
 */
export const frameworkErrorOptions = {
  frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    void sendProblem(reply, toProblem(error, request));
  },
  clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
    // A reset connection has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const body = JSON.stringify(clientErrorProblem(error.code));
      socket.write(
        `HTTP/1.1 ${statusLine(error.code)}\r\n` +
          `Content-Type: application/problem+json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  },
};

function clientErrorProblem(code: string | undefined) {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem(
        431,
        'headers_too_large',
        'The request line and headers exceed the size this server reads.',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'request_timeout', 'The request was not received in time.');
    default:
      return problem(400, 'bad_request', 'The request is not valid HTTP.');
  }
}

function statusLine(code: string | undefined): string {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return '431 Request Header Fields Too Large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return '408 Request Timeout';
    default:
      return '400 Bad Request';
  }
}

/**
 * JSON bodies only, parsed by us: fastify's text/plain parser would hand a JSON route a string
 * (a confusing validation error instead of 415), and its prototype-poisoning check says only
 * "not valid JSON". JSON.parse makes `__proto__` an ordinary own key, which is harmless until
 * something merges it; the scan below refuses it, and `constructor.prototype`, by name and path.
 */
export function installJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new BodyRefusal('malformed_body', 'The JSON body is empty.'), undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      done(invalidJson(error), undefined);
      return;
    }
    const lone = mayHoldLoneSurrogate(text) ? findLoneSurrogate(value) : null;
    if (lone !== null) {
      done(
        new BodyRefusal(
          'bad_request',
          `The body is refused: at ${lone || '/'}, ${LONE_SURROGATE_MESSAGE}.`,
          [{ path: lone, message: LONE_SURROGATE_MESSAGE }],
          'invalid_unicode',
        ),
        undefined,
      );
      return;
    }
    const poisoned = poisonedKey(value);
    if (poisoned !== null) {
      const message = `the key ${poisoned.key} is not allowed`;
      done(
        new BodyRefusal(
          'bad_request',
          `The body is refused: ${message}.`,
          [{ path: poisoned.path, message }],
          'forbidden_key',
        ),
        undefined,
      );
      return;
    }
    done(null, value);
  });
}

/** Where the parse failed, never the text around it (V8's message quotes the body). */
function invalidJson(error: unknown): BodyRefusal {
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  const end = /end of JSON input/.test(message);
  const where = position !== undefined ? ` at character ${position}` : end ? ': it ends early' : '';
  return new BodyRefusal('malformed_body', `The body is not valid JSON${where}.`);
}

/** The first `__proto__` key or `constructor` object with a `prototype`, found iteratively. */
function poisonedKey(root: unknown): { key: string; path: string } | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (Object.hasOwn(value, '__proto__')) return { key: '__proto__', path: `${path}/__proto__` };
    const ctor = (value as Record<string, unknown>).constructor;
    if (
      Object.hasOwn(value, 'constructor') &&
      typeof ctor === 'object' &&
      ctor !== null &&
      Object.hasOwn(ctor, 'prototype')
    ) {
      return { key: 'constructor.prototype', path: `${path}/constructor/prototype` };
    }
    for (const [key, child] of Object.entries(value)) {
      if (typeof child === 'object' && child !== null) {
        stack.push({
          value: child,
          path: `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`,
        });
      }
    }
  }
  return null;
}
