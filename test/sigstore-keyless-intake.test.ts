import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSigstoreTestInstance,
  GITHUB_ISSUER,
  type SigstoreTestInstance,
  type TestLeaf,
  WORKFLOW_SAN,
} from '../src/evidence/signatures/sigstore-test-instance.js';
import { dbKinds } from './databases.js';
import { addEvidence, createIntent } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const T0 = new Date('2026-03-01T12:00:00Z');

/**
 * A keyless bundle, as GitHub artifact attestations make them, through the real API: the
 * stored Sigstore root is what the upload is verified against, and the trusted publishers
 * decide whether its workflow identity counts.
 */
describe.each(dbKinds)('keyless Sigstore signatures through the API on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let sigstore: SigstoreTestInstance;
  let leaf: TestLeaf;
  beforeAll(async () => {
    sigstore = await createSigstoreTestInstance(T0);
    leaf = await sigstore.issue();
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
  });
  afterAll(async () => {
    await t.close();
  });

  const preview = async (intentId: string) => {
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/policy-preview`,
      as: submitter,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { violations: { rule_id: string; message: string }[] };
    return body.violations.find((v) => v.rule_id === 'artifact_signed')?.message ?? null;
  };

  it('needs a Sigstore root, then verifies the identity; the rule trusts it only through a publisher', async () => {
    const { intentId, artifactSha256 } = await createIntent(t, submitter);
    const bundle = JSON.stringify(sigstore.dsseBundle(leaf, artifactSha256));
    const upload = () =>
      addEvidence(t, submitter, intentId, 'kind=signature', bundle, {
        'content-type': 'application/json',
      });

    const before = await upload();
    expect([before.statusCode, before.json().reason]).toEqual([422, 'no_sigstore_root']);

    const root = await t.call({
      method: 'POST',
      url: '/api/v1/sigstore-roots',
      payload: { name: 'test instance', trusted_root: sigstore.trustedRoot() },
    });
    expect(root.statusCode, root.body).toBe(201);
    const after = await upload();
    expect(after.statusCode, after.body).toBe(201);
    expect(after.json().summary).toMatchObject({
      method: 'sigstore',
      identity: { san: WORKFLOW_SAN, issuer: GITHUB_ISSUER },
      timestamp: { kind: 'tlog' },
    });

    expect(await preview(intentId)).toMatch(/keyless.*not trusted/i);

    const wrong = await t.call({
      method: 'POST',
      url: '/api/v1/trusted-publishers',
      payload: {
        name: 'Fabrikam',
        sigstore_identity: {
          san: 'https://github.com/fabrikam/app/.github/workflows/release.yml@*',
          issuer: GITHUB_ISSUER,
        },
      },
    });
    expect(wrong.statusCode, wrong.body).toBe(201);
    const unmatched = await preview(intentId);
    expect(unmatched).toContain(WORKFLOW_SAN);
    expect(unmatched).toContain('Fabrikam');

    const prefix = WORKFLOW_SAN.slice(0, WORKFLOW_SAN.indexOf('@') + 1);
    const right = await t.call({
      method: 'POST',
      url: '/api/v1/trusted-publishers',
      payload: {
        name: 'Contoso CI',
        sigstore_identity: { san: `${prefix}*`, issuer: GITHUB_ISSUER },
      },
    });
    expect(right.statusCode, right.body).toBe(201);
    expect(await preview(intentId)).toBeNull();
  });
});
