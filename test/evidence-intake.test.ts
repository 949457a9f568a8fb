import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScan } from '../src/evidence/parsers/scan/index.js';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus, sha256 } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

type Json = Record<string, unknown>;

/** Independent count: every entry of `components`, nested ones included (DESIGN.md). */
function cycloneDxComponents(bom: Json): number {
  const count = (list: unknown): number =>
    Array.isArray(list) ? list.reduce((n: number, c: Json) => n + 1 + count(c.components), 0) : 0;
  return count(bom.components);
}

/** Independent count: SPDX packages minus the ones the document describes. */
function spdxPackages(doc: Json): number {
  const described = new Set<string>((doc.documentDescribes as string[] | undefined) ?? []);
  for (const r of (doc.relationships as Json[] | undefined) ?? []) {
    if (r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES') {
      described.add(r.relatedSpdxElement as string);
    }
  }
  return ((doc.packages as Json[] | undefined) ?? []).filter(
    (p) => !described.has(p.SPDXID as string),
  ).length;
}

function unwrapDsse(text: string): Json {
  const envelope = JSON.parse(text.trim().split('\n')[0]!) as Json;
  const statement = JSON.parse(Buffer.from(envelope.payload as string, 'base64').toString('utf8'));
  return statement.predicate as Json;
}

describe.each(dbKinds)('evidence intake on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let intentId: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { CABINET_MAX_UPLOAD_BYTES: String(8 * 1024 * 1024) } });
    submitter = await t.user(['submitter']);
    ({ intentId } = await createIntent(t, submitter));
  });
  afterAll(async () => t.close());

  const add = (query: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    addEvidence(t, submitter, intentId, query, body, headers);

  it.each(corpusFiles('sbom').map((f) => [path.basename(f), f]))(
    'ingests the SBOM %s with the right component count',
    async (_name, file) => {
      const bytes = readCorpus(file);
      const res = await add('kind=sbom', bytes);
      expect(res.statusCode, res.body).toBe(201);
      const item = res.json();
      const text = bytes.toString('utf8');
      const expected = file.endsWith('.jsonl')
        ? cycloneDxComponents(unwrapDsse(text))
        : file.includes('/spdx/')
          ? spdxPackages(JSON.parse(text))
          : cycloneDxComponents(JSON.parse(text));
      expect(item.summary.component_count).toBe(expected);
      expect(item.summary.direct_dependency_count + item.summary.transitive_dependency_count).toBe(
        expected,
      );
      expect(item.sha256).toBe(sha256(bytes));
      expect(item.format).toBe(file.includes('/spdx/') ? 'spdx' : 'cyclonedx');
    },
  );

  it.each(corpusFiles('scans').map((f) => [path.basename(f), f]))(
    'ingests the scan %s as the parser reads it',
    async (name, file) => {
      const bytes = readCorpus(file);
      const res = await add('kind=vuln_scan', bytes);
      if (name === 'anchore-fixture-image-simple.grype.json') {
        // Not a report: a tar of the image Grype's tests scan, saved under a report's name.
        expect(res.statusCode).toBe(422);
        expect(res.json().reason).toBe('unsupported_format');
        return;
      }
      expect(res.statusCode, res.body).toBe(201);
      const direct = parseScan(bytes).summary;
      const summary = res.json().summary;
      expect(summary.finding_count).toBe(direct.finding_count);
      expect(summary.severity_counts).toEqual(direct.severity_counts);
      const counts = summary.severity_counts as Record<string, number>;
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(summary.finding_count);
      expect(summary.passed).toBe(counts.critical === 0 && counts.high === 0);
    },
  );

  it.each(corpusFiles('vex').map((f) => [path.basename(f), f]))(
    'ingests the VEX %s',
    async (_name, file) => {
      const bytes = readCorpus(file);
      const res = await add('kind=vex', bytes);
      expect(res.statusCode, res.body).toBe(201);
      const doc = JSON.parse(bytes.toString('utf8')) as Json;
      expect(res.json().summary.statement_count).toBe((doc.vulnerabilities as unknown[]).length);
    },
  );

  it('accepts every valid CycloneDX conformance file and rejects every invalid one with a JSON path', async () => {
    const files = corpusFiles('conformance/cyclonedx');
    expect(files.length).toBeGreaterThan(80);
    for (const file of files) {
      const res = await add('kind=sbom', readCorpus(file));
      if (path.basename(file).startsWith('valid-')) {
        expect(res.statusCode, `${file}: ${res.body}`).toBe(201);
      } else {
        expect(res.statusCode, file).toBe(422);
        const problem = res.json();
        expect(problem.errors.length, file).toBeGreaterThan(0);
        expect(problem.errors[0].path, file).toMatch(/^\//);
        expect(problem.detail).toContain(problem.errors[0].path);
      }
    }
  });

  it('ingests SBOMs generated now by npm sbom and cyclonedx-npm from a real npm project', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cabinet-npm-'));
    try {
      mkdirSync(path.join(dir, 'left'));
      writeFileSync(
        path.join(dir, 'left/package.json'),
        '{"name":"left","version":"1.2.3","license":"MIT"}',
      );
      writeFileSync(
        path.join(dir, 'package.json'),
        '{"name":"demo-app","version":"0.1.0","license":"MIT","dependencies":{"left":"file:./left"}}',
      );
      const npm = (...args: string[]) =>
        execFileSync('npm', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      npm('install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts');
      const spdx = npm('sbom', '--sbom-format', 'spdx');
      const cdxBin = path.resolve('node_modules/.bin/cyclonedx-npm');
      execFileSync(cdxBin, ['--output-format', 'JSON', '--output-file', 'bom.json'], {
        cwd: dir,
        stdio: 'ignore',
      });
      const cdx = readFileSync(path.join(dir, 'bom.json'));

      const spdxRes = await add('kind=sbom', spdx);
      expect(spdxRes.statusCode, spdxRes.body).toBe(201);
      expect(spdxRes.json()).toMatchObject({ format: 'spdx', summary: { component_count: 1 } });
      const cdxRes = await add('kind=sbom', cdx);
      expect(cdxRes.statusCode, cdxRes.body).toBe(201);
      expect(cdxRes.json()).toMatchObject({ format: 'cyclonedx', summary: { component_count: 1 } });
      expect(cdxRes.json().summary.direct_dependency_count).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stores test results, moves the intent to ready, lists and serves the raw document', async () => {
    const fresh = await createIntent(t, submitter);
    const before = await t.call({
      method: 'GET',
      url: `/api/v1/intents/${fresh.intentId}`,
      as: submitter,
    });
    expect(before.json().status).toBe('draft');
    const lab = JSON.stringify({
      stage: 'lab',
      total: 40,
      passed: 38,
      failed: 1,
      skipped: 1,
      coverage_percent: 87.5,
      duration_seconds: 310,
    });
    const labRes = await addEvidence(t, submitter, fresh.intentId, 'kind=test_results', lab);
    expect(labRes.statusCode, labRes.body).toBe(201);
    expect(labRes.json()).toMatchObject({
      format: 'json',
      stage: 'lab',
      summary: { total: 40, failed: 1, coverage_percent: 87.5 },
    });
    const junit =
      '<?xml version="1.0"?><testsuite name="ring0" tests="3" failures="1" time="12.5">' +
      '<testcase name="install"/><testcase name="detect"/>' +
      '<testcase name="uninstall"><failure message="exit 1603"/></testcase></testsuite>';
    const ring0 = await addEvidence(
      t,
      submitter,
      fresh.intentId,
      'kind=test_results&stage=ring0',
      junit,
    );
    expect(ring0.statusCode, ring0.body).toBe(201);
    expect(ring0.json()).toMatchObject({
      format: 'junit',
      stage: 'ring0',
      summary: { total: 3, failed: 1 },
    });

    const after = await t.call({
      method: 'GET',
      url: `/api/v1/intents/${fresh.intentId}`,
      as: submitter,
    });
    expect(after.json().status).toBe('ready');
    const readyEvents = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?type=intent.ready&subject=${fresh.intentId}`,
    });
    expect(readyEvents.json().events).toHaveLength(1);

    const list = await t.call({
      method: 'GET',
      url: `/api/v1/intents/${fresh.intentId}/evidence`,
      as: submitter,
    });
    expect(list.json().evidence.map((e: { stage: string }) => e.stage)).toEqual(['lab', 'ring0']);
    expect(list.json().evidence[1].summary).not.toHaveProperty('cases');
    const onlyLab = await t.call({
      method: 'GET',
      url: `/api/v1/intents/${fresh.intentId}/evidence?kind=vex`,
      as: submitter,
    });
    expect(onlyLab.json().evidence).toEqual([]);
    const full = await t.call({ method: 'GET', url: `/api/v1/evidence/${ring0.json().id}` });
    expect(full.json().summary.cases).toHaveLength(3);
    const raw = await t.call({ method: 'GET', url: `/api/v1/evidence/${ring0.json().id}/raw` });
    expect(raw.body).toBe(junit);
    expect(raw.headers['content-type']).toContain('application/xml');
    expect((await t.call({ method: 'GET', url: '/api/v1/evidence/nope' })).statusCode).toBe(404);
    expect(
      (await t.call({ method: 'GET', url: '/api/v1/intents/nope/evidence', as: submitter }))
        .statusCode,
    ).toBe(404);
  });

  it('accepts a gzip-encoded upload and stores the document itself', async () => {
    const bom = readCorpus(
      corpusFiles('sbom/cyclonedx').find((f) => f.endsWith('dropwizard-1.3.15.cdx.json'))!,
    );
    const res = await add('kind=sbom', gzipSync(bom), { 'content-encoding': 'gzip' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().sha256).toBe(sha256(bom));
  });

  describe('bodies of unknown length, compressed or large are staged to a file', () => {
    const stagingFiles = () => {
      const dir = path.join(t.container.config.dataDir, 'staging');
      return existsSync(dir) ? readdirSync(dir) : [];
    };
    const chunked = (bytes: Buffer) =>
      Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);

    it('parses a streamed body without a length from its staging file, stores it verbatim and leaves no file', async () => {
      const bom = readCorpus(
        corpusFiles('sbom/cyclonedx').find((f) => f.endsWith('dropwizard-1.3.15.cdx.json'))!,
      );
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/intents/${intentId}/evidence?kind=sbom`,
        payload: chunked(bom),
        headers: { 'content-type': 'application/octet-stream' },
        as: submitter,
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().summary.component_count).toBe(
        cycloneDxComponents(JSON.parse(bom.toString('utf8')) as Json),
      );
      const raw = await t.call({
        method: 'GET',
        url: `/api/v1/evidence/${res.json().id}/raw`,
        as: submitter,
      });
      expect(sha256(raw.rawPayload)).toBe(sha256(bom));
      expect(stagingFiles()).toEqual([]);
    });

    it('refuses a staged document that is not valid and leaves no file', async () => {
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/intents/${intentId}/evidence?kind=sbom`,
        payload: chunked(
          Buffer.from(`{"bomFormat": "CycloneDX", "specVersion": "1.5", ${' '.repeat(2000)}`),
        ),
        headers: { 'content-type': 'application/octet-stream' },
        as: submitter,
      });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().detail).toMatch(/not valid JSON/);
      expect(stagingFiles()).toEqual([]);
    });

    it('reads a staged signature upload from its file', async () => {
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/intents/${intentId}/evidence?kind=signature`,
        payload: chunked(
          Buffer.from(JSON.stringify({ signature: 'AAAA', certificate_chain: [] }).padEnd(1200)),
        ),
        headers: { 'content-type': 'application/octet-stream' },
        as: submitter,
      });
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(stagingFiles()).toEqual([]);
    });
  });

  describe('refuses bad input with a clear 4xx, storing nothing but the refusal', () => {
    const count = async () =>
      Number(
        (
          await sql<{ n: number }>`select count(*) as n from evidence_items`.execute(
            t.container.database.db,
          )
        ).rows[0]!.n,
      );

    it.each([
      [
        'truncated JSON',
        'kind=sbom',
        () => '{"bomFormat": "CycloneDX", "specVersion": "1.5", "compo',
        422,
        /line 1/,
      ],
      [
        'an SBOM uploaded as a scan',
        'kind=vuln_scan',
        () => readCorpus(corpusFiles('sbom/spdx')[0]!),
        422,
        /kind=sbom/,
      ],
      [
        'a scan uploaded as an SBOM',
        'kind=sbom',
        () => readCorpus(corpusFiles('scans/trivy')[0]!),
        422,
        /SBOM|CycloneDX|SPDX/,
      ],
      ['a wrong kind', 'kind=manifest', () => '{}', 400, /kind/],
      ['a format of another kind', 'kind=sbom&format=trivy', () => '{}', 400, /format=trivy/],
      ['a stage on an SBOM', 'kind=sbom&stage=lab', () => '{}', 400, /stage/],
      [
        'test results without a stage',
        'kind=test_results',
        () => '<testsuite tests="1"><testcase name="a"/></testsuite>',
        422,
        /stage/,
      ],
      [
        'a zip archive',
        'kind=sbom',
        () => Buffer.from('504b0304140000000800', 'hex'),
        422,
        /zip|JSON/i,
      ],
      ['an empty body', 'kind=vex', () => '', 422, /empty/],
    ])('%s', async (_what, query, body, status, message) => {
      const before = await count();
      const res = await add(query, body());
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail).toMatch(message);
      expect(await count()).toBe(before);
    });

    it('a gzip bomb: 413 once the inflated size passes the limit', async () => {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
      expect(bomb.length).toBeLessThan(128 * 1024);
      const before = await count();
      const res = await add('kind=sbom', bomb, { 'content-encoding': 'gzip' });
      expect(res.statusCode).toBe(413);
      expect(await count()).toBe(before);
    });

    it('a corrupt gzip body and an unknown encoding', async () => {
      const corrupt = await add('kind=sbom', Buffer.from('not gzip at all'), {
        'content-encoding': 'gzip',
      });
      expect(corrupt.statusCode).toBe(400);
      const br = await add('kind=sbom', Buffer.from('{}'), { 'content-encoding': 'br' });
      expect(br.statusCode).toBe(415);
    });

    it('an intent that is closed, and one that does not exist', async () => {
      const closed = await createIntent(t, submitter);
      await sql`update intents set status = 'denied' where id = ${closed.intentId}`.execute(
        t.container.database.db,
      );
      const res = await addEvidence(t, submitter, closed.intentId, 'kind=vex', '{}');
      expect(res.statusCode).toBe(409);
      expect(res.json().reason).toBe('intent_closed');
      const missing = await addEvidence(t, submitter, 'no-such-intent', 'kind=vex', '{}');
      expect(missing.statusCode).toBe(404);
    });

    it('records each rejected upload in the audit log', async () => {
      const refused = await t.call({
        method: 'GET',
        url: '/api/v1/audit/events?type=request.refused&limit=500',
      });
      const intake = refused
        .json()
        .events.filter(
          (e: { data: { route: string } }) => e.data.route === '/api/v1/intents/:id/evidence',
        );
      expect(intake.length).toBeGreaterThanOrEqual(10);
      expect(intake.every((e: { actor: string }) => e.actor === submitter.id)).toBe(true);
    });
  });
});
