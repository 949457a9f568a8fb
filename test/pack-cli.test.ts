import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { dropAppendOnly } from '../src/platform/db/migrations/append-only.js';
import { capture } from './cli-harness.js';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { startTestApp, type TestApp } from './test-app.js';

describe.each(dbKinds)('cabinet pack commands on %s', (kind) => {
  let t: TestApp;
  let env: NodeJS.ProcessEnv;
  let intentId: string;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    const submitter = await t.user(['submitter']);
    ({ intentId } = await createIntent(t, submitter));
    const file = (sub: string, name: string) =>
      readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);
    await addEvidence(
      t,
      submitter,
      intentId,
      'kind=sbom',
      file('sbom/cyclonedx', 'laravel-7.12.0.cdx-1.4.json'),
    );
    await addEvidence(
      t,
      submitter,
      intentId,
      'kind=vuln_scan',
      file('scans/trivy', 'alpine-310.json'),
    );
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    env = { CABINET_URL: url, CABINET_TOKEN: submitter.token };
    dir = mkdtempSync(join(tmpdir(), 'cabinet-pack-cli-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...argv: string[]) => {
    const { io, out, err } = capture(env);
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('generates, shows, lists, verifies and exports packs', async () => {
    const generated = await run('pack', 'generate', intentId);
    expect(generated.code, generated.err).toBe(0);
    expect(generated.out).toMatch(/^evidence pack \S+ version 1\.0 of intent/);
    expect(generated.out).toMatch(/risk: +\d+ (LOW|MODERATE|CAUTION|HIGH|CRITICAL) \(model 1\.0\)/);
    expect(generated.err).toMatch(/done in/);
    const packId = /^evidence pack (\S+)/.exec(generated.out)![1]!;

    expect(JSON.parse((await run('--json', 'pack', 'generate', intentId)).out).id).toBe(packId);
    expect((await run('pack', 'show', packId)).out).toContain(`digest:     sha256:`);
    expect(JSON.parse((await run('--json', 'pack', 'show', packId)).out).version).toBe('1.0');
    expect((await run('pack', 'list', intentId)).out).toMatch(/1\.0/);
    expect(JSON.parse((await run('--json', 'pack', 'list', intentId)).out)).toHaveLength(1);

    const verified = await run('pack', 'verify', packId);
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(/pack verified$/);
    expect(JSON.parse((await run('--json', 'pack', 'verify', packId)).out).ok).toBe(true);

    const out = join(dir, 'b.json');
    const exported = await run('pack', 'export', packId, '--out', out);
    expect(exported.out).toMatch(/wrote .*b\.json/);
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('cabinet-evidence-bundle/v1');
    const aliased = await run('--json', 'export', packId, '--out', join(dir, 'c.json'));
    expect(JSON.parse(aliased.out).bytes).toBeGreaterThan(1000);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect((await run('export', packId)).code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(dir, `evidence-pack-${packId}-v1.0.bundle.json`))).toBe(true);

    // Tampered behind the database's back: the server-side verify fails with exit 3.
    const db = t.container.database.db;
    await dropAppendOnly(db, t.container.database.dialect, 'evidence_packs');
    await sql`update evidence_packs set digest = ${'0'.repeat(64)} where id = ${packId}`.execute(
      db,
    );
    const failed = await run('pack', 'verify', packId);
    expect(failed.code).toBe(3);
    expect(failed.out).toMatch(/^FAIL pack\.digest/m);
    expect(failed.out).toMatch(/FAILED verification$/);
  });

  it('reports a refusal from the server as one line', async () => {
    const res = await run('pack', 'generate', 'no-such-intent');
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^error: 404: /m);
  });
});
