import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPEND_ONLY_TABLES, immutabilityTriggers } from '../src/health/health-routes.js';
import { dropAppendOnly } from '../src/platform/db/migrations/append-only.js';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const corpus = (sub: string, name: string) =>
  readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);

/** Every trigger of the schema, as table.trigger. */
async function triggersInSchema(t: TestApp): Promise<string[]> {
  const db = t.container.database.db;
  const rows =
    t.kind === 'sqlite'
      ? await sql<{ tbl: string; name: string }>`select tbl_name as tbl, name from sqlite_master
          where type = 'trigger'`.execute(db)
      : await sql<{ tbl: string; name: string }>`select c.relname as tbl, t.tgname as name
          from pg_trigger t join pg_class c on c.oid = t.tgrelid where not t.tgisinternal`.execute(
          db,
        );
  return rows.rows.map((r) => `${r.tbl}.${r.name}`).sort();
}

describe.each(dbKinds)('tampering caught on read, on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let packId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    const { intentId } = await createIntent(t, submitter);
    for (const [query, body] of [
      ['kind=sbom', corpus('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json')],
      ['kind=vuln_scan', corpus('scans/trivy', 'alpine-310.json')],
    ] as const) {
      const added = await addEvidence(t, submitter, intentId, query, body);
      expect(added.statusCode).toBe(201);
    }
    const generated = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/evidence-packs`,
      as: submitter,
    });
    expect(generated.statusCode).toBe(201);
    packId = generated.json().id;
  });
  afterAll(async () => t.close());

  const readyz = () => t.app.inject({ method: 'GET', url: '/readyz' });
  const read = (suffix = '') =>
    t.call({ method: 'GET', url: `/api/v1/evidence-packs/${packId}${suffix}`, as: submitter });

  it('is ready with every immutability trigger in place, and knows all of them', async () => {
    // The list /readyz checks is the schema's: a new append-only table must be added to it.
    expect(APPEND_ONLY_TABLES).toEqual([...new Set(APPEND_ONLY_TABLES)]);
    expect(await triggersInSchema(t)).toEqual(
      immutabilityTriggers(t.container.database.dialect)
        .map(({ table, trigger }) => `${table}.${trigger}`)
        .sort(),
    );
    const ready = await readyz();
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: kind });
    expect((await read()).statusCode).toBe(200);
    expect((await read('/bundle')).statusCode).toBe(200);
  });

  it('reports missing triggers as not ready, and refuses to serve a pack edited behind its back', async () => {
    const db = t.container.database.db;
    await dropAppendOnly(db, t.container.database.dialect, 'evidence_packs');
    const notReady = await readyz();
    expect(notReady.statusCode).toBe(503);
    const dropped =
      kind === 'sqlite'
        ? ['evidence_packs_no_update', 'evidence_packs_no_delete']
        : ['evidence_packs_no_update_delete', 'evidence_packs_no_truncate'];
    expect(notReady.json()).toEqual({
      status: 'not_ready',
      database: kind,
      detail: `immutability triggers missing: ${dropped.join(', ')}`,
    });

    const { body } = await db
      .selectFrom('evidence_packs')
      .select('body')
      .where('id', '=', packId)
      .executeTakeFirstOrThrow();
    const edited = body.replace(
      '"artifact_publisher":"Igor Pavlov"',
      '"artifact_publisher":"Mallory"',
    );
    expect(edited).not.toBe(body);
    await sql`update evidence_packs set body = ${edited} where id = ${packId}`.execute(db);

    for (const suffix of ['', '/bundle', `/diff?against=${packId}`]) {
      const res = await read(suffix);
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ reason: 'pack_tampered', status: 409 });
      expect(res.json().detail).toContain(packId);
      expect(res.body).not.toContain('Mallory');
    }
    // The verify endpoint still answers, with the report that says what differs.
    const verified = await read('/verify');
    expect(verified.statusCode).toBe(200);
    expect(verified.json().ok).toBe(false);
    expect(
      verified
        .json()
        .checks.filter((c: { ok: boolean }) => !c.ok)
        .map((c: { part: string }) => c.part),
    ).toContain('pack.digest');

    // The body put back but the digest edited instead: refused the same way.
    await sql`update evidence_packs set body = ${body}, digest = ${'0'.repeat(64)} where id = ${packId}`.execute(
      db,
    );
    expect((await read()).json()).toMatchObject({ reason: 'pack_tampered' });
    // Text that is not JSON at all is tampering too, not a 500.
    await sql`update evidence_packs set body = ${'{not json'} where id = ${packId}`.execute(db);
    expect((await read()).json()).toMatchObject({ status: 409, reason: 'pack_tampered' });
  });
});
