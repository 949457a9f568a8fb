import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Dispatcher } from '../outbox/dispatcher.js';
import type { Outbox } from '../outbox/outbox.js';
import type { AnonymousRefusals } from '../platform/http/request-context.js';

export interface MetricSources {
  auditAppended: () => number;
  anonymousRefusals: Pick<AnonymousRefusals, 'totals'>;
  outbox: Pick<Outbox, 'counts'>;
  dispatcher: Pick<Dispatcher, 'onAttempt'>;
}

/** A registry per app instance, so tests that build many apps never collide. */
export function installMetrics(app: FastifyInstance, sources: MetricSources): Registry {
  const { auditAppended } = sources;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cabinet_' });
  const requests = new Counter({
    name: 'cabinet_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'cabinet_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'cabinet_audit_events_appended',
    help: 'Audit events appended by this process since it started',
    registers: [registry],
    collect() {
      this.set(auditAppended());
    },
  });
  new Counter({
    name: 'cabinet_anonymous_refusals_total',
    help: 'Requests refused without a valid token, by status: audited once per source and minute, counted here each',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [status, n] of sources.anonymousRefusals.totals()) {
        this.inc({ status: String(status) }, n);
      }
    },
  });
  new Gauge({
    name: 'cabinet_outbox_messages',
    help: 'Outbox messages by status (pending, delivered, dead), across all instances',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await sources.outbox.counts();
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
  const attempts = new Counter({
    name: 'cabinet_outbox_attempts_total',
    help: 'Delivery attempts recorded by this process, by channel and outcome',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'cabinet_outbox_delivery_latency_seconds',
    help: 'From enqueue (the change committing) to delivery, by channel',
    labelNames: ['channel'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400],
    registers: [registry],
  });
  const stopObserving = sources.dispatcher.onAttempt(({ channel, outcome, latencyMs }) => {
    attempts.inc({ channel, outcome });
    if (latencyMs !== null) latency.observe({ channel }, latencyMs / 1000);
  });
  app.addHook('onClose', async () => {
    stopObserving();
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids in paths would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  return registry;
}
