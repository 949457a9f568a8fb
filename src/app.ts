import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { registerArtifactRoutes } from './artifacts/artifact-routes.js';
import { registerAssessmentRoutes } from './assessment/assessment-routes.js';
import { registerAuditRoutes } from './audit/audit-routes.js';
import { registerCabRoutes } from './cab/cab-routes.js';
import type { Container } from './composition-root.js';
import { registerEvidenceRoutes } from './evidence/evidence-routes.js';
import { registerExceptionRoutes } from './exceptions/exception-routes.js';
import { registerHealthRoutes } from './health/health-routes.js';
import { installMetrics } from './health/metrics.js';
import { registerIdentityRoutes } from './identity/identity-routes.js';
import { registerSessionRoutes } from './identity/session-routes.js';
import { registerIntentRoutes } from './intents/intent-routes.js';
import { registerOutboxRoutes } from './outbox/outbox-routes.js';
import { registerPackRoutes } from './packs/pack-routes.js';
import { installErrorHandling } from './platform/http/error-handler.js';
import { frameworkErrorOptions, installJsonBodies } from './platform/http/framework.js';
import { AnonymousRefusals, installRequestContext } from './platform/http/request-context.js';
import { registerPolicySetRoutes } from './policy/policy-set-routes.js';
import { registerPublisherRoutes } from './publishers/publisher-routes.js';
import { registerSigstoreRootRoutes } from './publishers/sigstore-root-routes.js';
import { registerRiskRoutes } from './risk/risk-routes.js';
import { registerTrustAnchorRoutes } from './trust-anchors/trust-anchor-routes.js';
import { Dashboard, registerWebRoutes } from './web/web-routes.js';
import { registerWebhookRoutes } from './webhooks/webhook-routes.js';

export interface AppOptions {
  /** Pino logger options; false silences request logs (tests). */
  logger?: boolean | { level: string };
}

/** Builds the HTTP application on an already wired container. */
export async function buildApp(
  container: Container,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const { config } = container;
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: config.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: false,
    ...frameworkErrorOptions,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Hooks and the error handler come first so every plugin registered below inherits them.
  installRequestContext(app, container.identity, container.sessions);
  const anonymousRefusals = new AnonymousRefusals(() => container.clock.now().getTime());
  const dashboard = new Dashboard(config.webDir);
  installErrorHandling(app, container.audit, anonymousRefusals, (request, reply) =>
    dashboard.fallback(request, reply),
  );
  installJsonBodies(app);
  await app.register(cookie);
  const registry = installMetrics(app, {
    auditAppended: () => container.audit.appendedCount,
    anonymousRefusals,
    outbox: container.outbox,
    dispatcher: container.dispatcher,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'cabinet',
        version: '1',
        description:
          'Evidence-first Change Advisory Board service. Errors are RFC 9457 problem+json.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/v1/docs',
    uiConfig: { docExpansion: 'list' },
    uiHooks: {},
  });

  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  registerHealthRoutes(app, {
    database: container.database,
    registry,
    signingKey: container.signingKey,
  });
  registerIdentityRoutes(app, container);
  registerSessionRoutes(app, { ...container, publicUrl: config.publicUrl });
  registerAuditRoutes(app, container);
  registerIntentRoutes(app, container);
  await registerArtifactRoutes(app, container);
  registerTrustAnchorRoutes(app, container);
  registerPublisherRoutes(app, container);
  registerSigstoreRootRoutes(app, container);
  await registerEvidenceRoutes(app, container);
  registerExceptionRoutes(app, container);
  registerPolicySetRoutes(app, container);
  registerAssessmentRoutes(app, container);
  registerPackRoutes(app, container);
  registerRiskRoutes(app);
  registerCabRoutes(app, container);
  registerOutboxRoutes(app, container);
  registerWebhookRoutes(app, container);
  await registerWebRoutes(app, dashboard);
  return app;
}
