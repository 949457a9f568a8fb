import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

describe.each(dbKinds)('a process killed during pack generation on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let intentId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    ({ intentId } = await createIntent(t, submitter));
    const file = (sub: string, name: string) =>
      readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);
    await addEvidence(
      t,
      submitter,
      intentId,
      'kind=sbom',
      file('sbom/cyclonedx', 'dropwizard-1.3.15.cdx.json'),
    );
    await addEvidence(t, submitter, intentId, 'kind=vuln_scan', file('scans/trivy', 'npm.json'));
  });
  afterAll(async () => t.close());

  it('leaves no partial pack, and the next generation succeeds', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/generate-and-hang.ts', intentId, submitter.id],
      {
        env: {
          ...process.env,
          CABINET_DATA_DIR: t.database.dataDir,
          CABINET_DATABASE_URL: t.database.url,
          CABINET_LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await expect.poll(() => output, { timeout: 30_000 }).toMatch(/inside-transaction/);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }
    expect(output).not.toMatch(/committed/);

    const db = t.container.database.db;
    const packs = await db
      .selectFrom('evidence_packs')
      .selectAll()
      .where('intent_id', '=', intentId)
      .execute();
    expect(packs).toEqual([]);
    expect(await db.selectFrom('evidence_pack_documents').selectAll().execute()).toEqual([]);
    const events = await db
      .selectFrom('audit_events')
      .select('seq')
      .where('event_type', '=', 'evidence_pack.generated')
      .execute();
    expect(events).toEqual([]);

    const res = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/evidence-packs`,
      as: submitter,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().version).toBe('1.0');
    const chain = await t.call({ method: 'GET', url: '/api/v1/audit/verify' });
    expect(chain.json().ok).toBe(true);
  });
});
