import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UploadSource } from '../../blobs/upload-staging.js';

/**
 * Registers routes whose body is the raw upload stream, whatever its Content-Type: the
 * handler reads (and limits) it itself, so large uploads stream instead of being buffered
 * by a parser, and `curl --data-binary @file` works as it is.
 */
export async function registerRawBodyRoutes(
  app: FastifyInstance,
  register: (scope: FastifyInstance) => void,
): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    register(scope);
  });
}

export function uploadSource(request: FastifyRequest): UploadSource {
  const length = request.headers['content-length'];
  const encoding = request.headers['content-encoding'];
  return {
    stream: (request.body as Readable | undefined) ?? request.raw,
    contentLength: length === undefined ? undefined : Number(length),
    contentEncoding: typeof encoding === 'string' ? encoding : undefined,
  };
}
