import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Every HTML answer: the app loads only its own scripts, styles and images, and is not framed. */
export const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
/** Vite names files under assets/ by their content hash: they never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>cabinet</title></head>
<body>
<h1>cabinet</h1>
<p>The dashboard is not built. Run <code>npm run build</code> to build it, then restart the server.</p>
<p>The API keeps working: see <a href="/api/v1/docs">/api/v1/docs</a>.</p>
</body>
</html>
`;

/**
 * The dashboard: the built web app (Vite's `web/dist`, CABINET_WEB_DIR) served at `/`.
 * When it is not built, `/` says so and the API works as ever.
 */
export class Dashboard {
  readonly root: string;
  readonly built: boolean;

  constructor(root: string) {
    this.root = root;
    this.built = existsSync(join(root, 'index.html'));
  }

  /**
   * The SPA fallback, called by the not-found handler: a page request (a GET outside
   * `/api/` that accepts HTML) that matched no file gets index.html, so the app's own router
   * resolves the path. Anything else stays a problem+json 404 (returns null).
   */
  fallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | null {
    if (!isPageRequest(request)) return null;
    if (!this.built) return sendNotBuilt(reply);
    return reply.sendFile('index.html');
  }
}

function isPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  if (path === '/api' || path.startsWith('/api/')) return false;
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes('text/html');
}

function htmlHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-cache');
}

function sendNotBuilt(reply: FastifyReply): FastifyReply {
  return htmlHeaders(reply).code(200).type('text/html; charset=utf-8').send(NOT_BUILT);
}

export async function registerWebRoutes(app: FastifyInstance, dashboard: Dashboard): Promise<void> {
  if (!dashboard.built) {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      sendNotBuilt(reply),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dashboard.root,
    prefix: '/',
    index: 'index.html',
    dotfiles: 'ignore',
    // One route per built file instead of a `/*` wildcard: every other path (an over-long
    // API path included) reaches the not-found handler, which answers problem+json or the
    // SPA fallback, never the file server's own refusal.
    wildcard: false,
    // setHeaders decides every file's caching; send's default would be max-age=0.
    cacheControl: false,
    etag: true,
    lastModified: true,
    schemaHide: true,
    setHeaders(reply, path) {
      reply.header('x-content-type-options', 'nosniff');
      const inRoot = relative(dashboard.root, path).split(sep);
      if (path.endsWith('.html')) {
        htmlHeaders(reply);
      } else if (inRoot[0] === 'assets' && inRoot.length > 1) {
        reply.header('cache-control', IMMUTABLE);
      } else {
        reply.header('cache-control', 'no-cache');
      }
    },
  });
}
