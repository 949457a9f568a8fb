import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/cli-io.js';
import { main } from '../src/cli/main.js';
import { dropAppendOnly } from '../src/platform/db/migrations/append-only.js';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { OpensslPki } from './openssl-pki.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const CRITICAL = 'CVE-2019-18224|libidn2-0|2.0.5-1';
const corpus = (sub: string, name: string) =>
  readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);

/** The fields DESIGN.md lists for a pack body, walked one by one. */
const SEED_FIELDS = [
  'deployment_intent',
  'artifact_sha256',
  'artifact_signature',
  'artifact_size_bytes',
  'artifact_publisher',
  'sbom_format',
  'sbom_data',
  'vuln_scan_tool',
  'vuln_scan_results',
  'vuln_scan_passed',
  'install_command',
  'install_timeout_seconds',
  'uninstall_command',
  'uninstall_timeout_seconds',
  'detection_method',
  'detection_query',
  'rollout_plan',
  'rollback_plan',
  'test_evidence',
  'test_summary',
  'policy_violations',
  'policy_approved',
  'has_exceptions',
  'exception_count',
  'exception_records',
  'version',
  'previous_version',
  'created_at',
  'created_by',
  'is_immutable',
  'policy_set_version',
  'as_of',
];

/** DSSE v1 PAE, written here from the spec, independently of src/. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `),
    body,
  ]);
}

/** The component changes between two CycloneDX documents, read straight from the JSON. */
function componentChanges(before: Buffer, after: Buffer) {
  const flat = (doc: Buffer) => {
    const out: { purl: string; version: string }[] = [];
    const walk = (list: unknown) => {
      for (const c of (list as { purl?: string; version?: string; components?: unknown }[]) ?? []) {
        out.push({ purl: c.purl ?? '', version: c.version ?? '' });
        walk(c.components);
      }
    };
    walk(JSON.parse(doc.toString('utf8')).components);
    return out;
  };
  const key = (purl: string) => purl.split('?')[0]!.replace(/@[^@/]*$/, '');
  const a = flat(before);
  const b = flat(after);
  const versions = (list: { purl: string; version: string }[]) => {
    const map = new Map<string, Set<string>>();
    for (const c of list) map.set(key(c.purl), (map.get(key(c.purl)) ?? new Set()).add(c.version));
    return map;
  };
  const va = versions(a);
  const vb = versions(b);
  const added = [...vb.keys()].filter((k) => !va.has(k)).sort();
  const removed = [...va.keys()].filter((k) => !vb.has(k)).sort();
  const changed = [...va.keys()]
    .filter((k) => vb.has(k) && [...va.get(k)!].sort().join() !== [...vb.get(k)!].sort().join())
    .sort();
  return { added, removed, changed };
}

describe.each(dbKinds)('evidence packs on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let reviewer: TestUser;
  let intentId: string;
  let artifactSha256: string;
  let publicKeyPem: string;
  const pki = new OpensslPki();
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-packs-'));

  beforeAll(async () => {
    pki.root('acme');
    pki.leaf('signer', 'acme', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 365);
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    reviewer = await t.user(['security_reviewer']);
    await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'Acme', pem: pki.pem('acme') },
    });
    publicKeyPem = (await t.call({ method: 'GET', url: '/api/v1/keys', as: null })).json().keys[0]
      .public_key_pem;
    ({ intentId, artifactSha256 } = await createIntent(t, submitter));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  const generate = (id = intentId, as = submitter) =>
    t.call({ method: 'POST', url: `/api/v1/intents/${id}/evidence-packs`, as });
  const add = (query: string, body: Buffer | string, id = intentId) =>
    addEvidence(t, submitter, id, query, body);

  it('refuses a draft, an unknown intent, and names missing evidence and blocking findings', async () => {
    expect((await generate()).statusCode).toBe(409);
    expect((await generate('nope')).statusCode).toBe(404);
    await add(
      'kind=test_results',
      JSON.stringify({
        stage: 'lab',
        total: 5,
        passed: 5,
        failed: 0,
        skipped: 0,
        coverage_percent: 91,
      }),
    );
    const missing = await generate();
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors.map((e: { path: string }) => e.path)).toEqual([
      '/evidence/sbom',
      '/evidence/vuln_scan',
    ]);
    await add('kind=sbom', corpus('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json'));
    await add('kind=vuln_scan', corpus('scans/trivy', 'fluentd-gems.json'));
    const blocked = await generate();
    expect(blocked.statusCode).toBe(422);
    expect(blocked.json()).toMatchObject({
      reason: 'pack_blocked',
      errors: [{ path: `/findings/${CRITICAL}` }],
    });
    expect(blocked.json().detail).toContain('CVE-2019-18224');
    expect(
      (
        await t.call({
          method: 'GET',
          url: `/api/v1/intents/${intentId}/evidence-packs`,
          as: submitter,
        })
      ).json(),
    ).toEqual({ evidence_packs: [] });
  });

  it('generates version 1.0 with every seed field filled from its source, signed and digested', async () => {
    await add(
      'kind=test_results&stage=ring0',
      '<testsuite tests="4"><testcase name="a"/><testcase name="b"/><testcase name="c"/><testcase name="d"/></testsuite>',
    );
    await add(
      'kind=signature',
      JSON.stringify({
        signature: pki.sign('signer', artifactSha256),
        certificate_chain: [pki.pem('signer')],
      }),
    );
    const exception = await t.call({
      method: 'POST',
      url: '/api/v1/exceptions',
      as: submitter,
      payload: {
        exception_type: 'vuln_critical',
        scope: { artifact_sha256: artifactSha256, finding_ids: [CRITICAL] },
        description: 'Not reachable',
        compensating_controls: 'EDR blocks it',
        expires_at: new Date(t.clock.now().getTime() + 30 * 86_400_000).toISOString(),
      },
    });
    const exceptionId = exception.json().id as string;
    await t.call({
      method: 'POST',
      url: `/api/v1/exceptions/${exceptionId}/approve`,
      as: reviewer,
      payload: { verification_steps: 'checked' },
    });

    const res = await generate();
    expect(res.statusCode, res.body).toBe(201);
    const pack = res.json();
    const body = pack.body;
    for (const field of SEED_FIELDS) expect(body, field).toHaveProperty(field);
    const intent = (
      await t.call({ method: 'GET', url: `/api/v1/intents/${intentId}`, as: submitter })
    ).json();
    const evidence = (
      await t.call({ method: 'GET', url: `/api/v1/intents/${intentId}/evidence`, as: submitter })
    ).json().evidence as {
      id: string;
      kind: string;
      sha256: string;
      summary: Record<string, unknown>;
    }[];
    const item = (k: string) => evidence.filter((e) => e.kind === k).at(-1)!;
    expect(body.deployment_intent.id).toBe(intentId);
    expect(body.deployment_intent.app_name).toBe(intent.app_name);
    expect(body.artifact_sha256).toBe(artifactSha256);
    expect(body.artifact_size_bytes).toBe(intent.artifact.size_bytes);
    expect(body.artifact_publisher).toBe(intent.artifact.publisher);
    expect(body.artifact_signature).toMatchObject({
      signature_valid: true,
      document: { sha256: item('signature').sha256 },
    });
    expect(body.sbom_format).toBe('cyclonedx');
    expect(body.sbom_data.document.sha256).toBe(item('sbom').sha256);
    expect(body.sbom_data.summary.component_count).toBe(item('sbom').summary.component_count);
    expect(body.vuln_scan_tool).toBe(item('vuln_scan').summary.tool);
    expect(body.vuln_scan_results.severity_counts).toEqual(
      item('vuln_scan').summary.severity_counts,
    );
    expect(body.vuln_scan_passed).toBe(false);
    for (const f of [
      'install_command',
      'install_timeout_seconds',
      'uninstall_command',
      'uninstall_timeout_seconds',
      'detection_method',
      'detection_query',
      'rollout_plan',
      'rollback_plan',
    ]) {
      expect(body[f], f).toEqual(intent[f]);
    }
    expect(body.test_evidence.lab).toMatchObject({ total: 5, coverage_percent: 91 });
    expect(body.test_evidence.ring0).toMatchObject({ total: 4, failed: 0 });
    expect(body.test_summary).toBe('pass');
    expect(Object.keys(body.policy_violations)).toEqual(['no_critical_high_findings']);
    expect(body.policy_approved).toBe(false);
    expect(body.has_exceptions).toBe(true);
    expect(body.exception_count).toBe(1);
    expect(body.exception_records).toEqual([
      expect.objectContaining({
        id: exceptionId,
        finding_ids: [CRITICAL],
        compensating_controls: 'EDR blocks it',
      }),
    ]);
    expect(body.risk).toMatchObject({ model_version: '1.0' });
    expect(body.risk.factors.exception_count.raw).toBe(1);
    expect(body).toMatchObject({
      version: '1.0',
      previous_version: null,
      created_by: submitter.id,
      is_immutable: true,
      policy_set_version: '1.0',
    });
    expect(body.as_of).toBe(body.created_at);

    // digest = SHA-256 of the RFC 8785 form of the body, computed here.
    expect(pack.digest).toBe(createHash('sha256').update(canonicalize(body)!).digest('hex'));
    // DSSE: an independent PAE + Ed25519 check, and the Statement names the artifact.
    const env = pack.envelope;
    const payload = Buffer.from(env.payload, 'base64');
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    expect(
      verify(
        null,
        pae(env.payloadType, payload),
        createPublicKey(publicKeyPem),
        Buffer.from(env.signatures[0].sig, 'base64'),
      ),
    ).toBe(true);
    const statement = JSON.parse(payload.toString('utf8'));
    expect(statement.predicateType).toBe('urn:cabinet:evidence-pack:v1');
    expect(statement.subject[0].digest.sha256).toBe(artifactSha256);
    expect(statement.predicate).toEqual(body);

    const audit = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?type=evidence_pack.generated&subject=${pack.id}`,
    });
    expect(audit.json().events[0].data).toMatchObject({ digest: pack.digest, version: '1.0' });
    const verified = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${pack.id}/verify`,
      as: submitter,
    });
    expect(verified.json().ok).toBe(true);
  });

  it('answers the same pack when nothing changed, and versions 1.1 with a diff when evidence changes', async () => {
    const [first] = (
      await t.call({
        method: 'GET',
        url: `/api/v1/intents/${intentId}/evidence-packs`,
        as: submitter,
      })
    ).json().evidence_packs;
    const again = await generate();
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.id);

    await add('kind=sbom', corpus('sbom/cyclonedx', 'proton-bridge-1.8.0.cdx.json'));
    // Concurrent generations queue on the intent: one new version, never two of the same.
    const answers = await Promise.all([generate(), generate(), generate()]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 201]);
    const next = answers.find((a) => a.statusCode === 201)!.json();
    expect(next.version).toBe('1.1');
    expect(next.body).toMatchObject({ previous_version: '1.0', previous_pack_id: first.id });
    const list = (
      await t.call({
        method: 'GET',
        url: `/api/v1/intents/${intentId}/evidence-packs`,
        as: submitter,
      })
    ).json().evidence_packs;
    expect(list.map((p: { version: string }) => p.version)).toEqual(['1.0', '1.1']);

    const diff = (
      await t.call({ method: 'GET', url: `/api/v1/evidence-packs/${next.id}/diff`, as: submitter })
    ).json();
    const expected = componentChanges(
      corpus('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json'),
      corpus('sbom/cyclonedx', 'proton-bridge-1.8.0.cdx.json'),
    );
    const keys = (list: { key: string }[]) => list.map((c) => c.key).sort();
    expect(keys(diff.components.added)).toEqual(expected.added);
    expect(keys(diff.components.removed)).toEqual(expected.removed);
    expect(keys(diff.components.changed)).toEqual(expected.changed);
    expect(diff.risk.factors.dependency_risk).toBeDefined();
    const explicit = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${first.id}/diff?against=${next.id}`,
      as: submitter,
    });
    expect(keys(explicit.json().components.added)).toEqual(expected.removed);
    const firstDiff = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${first.id}/diff`,
      as: submitter,
    });
    expect(firstDiff.statusCode).toBe(422);
  });

  it('exports a bundle that cabinet verify checks offline, and catches tampering', async () => {
    const [pack] = (
      await t.call({
        method: 'GET',
        url: `/api/v1/intents/${intentId}/evidence-packs`,
        as: submitter,
      })
    ).json().evidence_packs;
    const bundle = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${pack.id}/bundle`,
      as: submitter,
    });
    expect(bundle.statusCode).toBe(200);
    const file = join(dir, 'pack.bundle.json');
    writeFileSync(file, bundle.body);
    const keyFile = join(dir, 'keys.json');
    writeFileSync(keyFile, (await t.call({ method: 'GET', url: '/api/v1/keys', as: null })).body);
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const io: CliIo = {
        out: (l) => out.push(l),
        err: () => {},
        env: {},
        untilStopped: async () => {},
      };
      return { code: await main(argv, io), out: out.join('\n') };
    };
    expect((await run('verify', file, '--key', keyFile)).code).toBe(0);

    const tampered = JSON.parse(bundle.body);
    tampered.documents[0].content_base64 = Buffer.from(
      Buffer.from(tampered.documents[0].content_base64, 'base64')
        .toString('utf8')
        .replace('proton', 'protoN'),
    ).toString('base64');
    writeFileSync(file, JSON.stringify(tampered));
    const failed = await run('verify', file, '--key', keyFile);
    expect(failed.code).toBe(3);
    expect(failed.out).toMatch(/documents\[/);
  });

  it('refuses UPDATE and DELETE on packs in the database, and verify catches an edit made behind its back', async () => {
    const db = t.container.database.db;
    const [pack] = (
      await t.call({
        method: 'GET',
        url: `/api/v1/intents/${intentId}/evidence-packs`,
        as: submitter,
      })
    ).json().evidence_packs;
    await expect(sql`update evidence_packs set risk_score = 0`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from evidence_pack_documents`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await dropAppendOnly(db, t.container.database.dialect, 'evidence_packs');
    const row = await db
      .selectFrom('evidence_packs')
      .select('body')
      .where('id', '=', pack.id)
      .executeTakeFirstOrThrow();
    await sql`update evidence_packs set body = ${row.body.replace('"policy_approved":false', '"policy_approved":true')} where id = ${pack.id}`.execute(
      db,
    );
    const result = (
      await t.call({
        method: 'GET',
        url: `/api/v1/evidence-packs/${pack.id}/verify`,
        as: submitter,
      })
    ).json();
    expect(result.ok).toBe(false);
    expect(
      result.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { part: string }) => c.part),
    ).toContain('pack.digest');
  });

  it('names evidence attached for another artifact', async () => {
    const other = await createIntent(t, submitter);
    await add('kind=sbom', corpus('sbom/cyclonedx', 'dropwizard-1.3.15.cdx.json'), other.intentId);
    const registered = await t.call({
      method: 'POST',
      url: '/api/v1/artifacts/register',
      as: submitter,
      payload: { sha256: 'e'.repeat(64), size_bytes: 10, publisher: 'Acme', filename: 'other.msi' },
    });
    expect(registered.statusCode).toBe(201);
    await sql`update intents set artifact_sha256 = ${'e'.repeat(64)} where id = ${other.intentId}`.execute(
      t.container.database.db,
    );
    const res = await generate(other.intentId);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].message).toMatch(/for another artifact/);
  });
});
