import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../src/identity/roles.js';
import { getRiskModel, RISK_MODELS } from '../src/risk/index.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp } from './test-app.js';

describe.each(dbKinds)('GET /api/v1/risk-models on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t.close());

  it('lists every registered model with its weights, rubrics, bands, threshold and default', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/risk-models' });
    expect(res.statusCode).toBe(200);
    const { models } = res.json() as { models: Array<Record<string, unknown>> };
    expect(models.map((m) => m.version)).toEqual(Object.keys(RISK_MODELS));
    const [v1] = models;
    // The served document is the registry entry the scorer reads, plus `default`.
    expect(v1).toEqual({ ...JSON.parse(JSON.stringify(getRiskModel('1.0'))), default: true });
    expect(v1).toMatchObject({
      version: '1.0',
      weights: { vulnerabilities: 25, policy_violations: 20, artifact_age: 5 },
      rubrics: {
        vulnerabilities: {
          kind: 'steps',
          steps: [
            { at_most: 0, normalized: 0 },
            { at_most: 3, normalized: 20 },
            { at_most: 7, normalized: 50 },
          ],
          above: 100,
          missing: 100,
        },
        test_coverage: { kind: 'complement_percent', missing: 100 },
        ring_0_failures: { kind: 'failure_rate', minimum_on_failure: 25, missing: 100 },
      },
      bands: [
        { recommendation: 'LOW', min: 0, max: 24 },
        { recommendation: 'MODERATE', min: 25, max: 49 },
        { recommendation: 'CAUTION', min: 50, max: 69 },
        { recommendation: 'HIGH', min: 70, max: 84 },
        { recommendation: 'CRITICAL', min: 85, max: 100 },
      ],
      threshold: { score_above: 50, on_policy_violation: true },
    });
    expect(models.filter((m) => m.default)).toHaveLength(1);
  });

  it('accepts a trailing slash', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/risk-models/' });
    expect(res.statusCode).toBe(200);
  });

  it('is readable by every role', async () => {
    for (const role of ROLES) {
      const user = await t.user([role]);
      const res = await t.call({ method: 'GET', url: '/api/v1/risk-models', as: user });
      expect(res.statusCode, role).toBe(200);
    }
  });

  it('needs a token: 401 problem+json without one', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/risk-models', as: null });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('is documented in the OpenAPI document with a RiskModel schema', async () => {
    const doc = (await t.call({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths['/api/v1/risk-models']).toHaveProperty('get');
    expect(doc.components.schemas).toHaveProperty('RiskModel');
  });
});
