import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { main } from '../src/cli/main.js';
import { type Container, createContainer } from '../src/composition-root.js';
import { loadConfig } from '../src/config/config.js';
import { openDemoCorpus } from '../src/demo/demo-corpus.js';
import type { DemoResult } from '../src/demo/demo-data.js';
import { runDemoWithConfig } from '../src/demo/demo-run.js';
import { createTestDatabase, dbKinds, type TestDatabase } from './databases.js';
import { CORPUS } from './intake-fixtures.js';

interface Summary {
  id: string;
  app_name: string;
  status: string;
  change_type: string;
  recommendation: string;
  stale: boolean;
  stale_reasons: { code: string }[];
  superseded_by: string | null;
  deployment_intent: string;
  evidence_pack: { id: string; version: string };
}

function bufferIo(env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (line: string) => out.push(line),
      err: (line: string) => err.push(line),
      env,
      untilStopped: async () => {},
    },
  };
}

describe.each(dbKinds)('cabinet demo (%s)', (kind) => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let first: DemoResult;
  let container: Container;
  let app: FastifyInstance;
  const progress: string[] = [];

  const get = async <T>(token: string, url: string): Promise<T> => {
    const res = await app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json<T>();
  };
  const requests = (token: string) =>
    get<{ requests: Summary[] }>(token, '/api/v1/cab/requests?limit=200').then((r) => r.requests);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    env = {
      CABINET_DATA_DIR: database.dataDir,
      CABINET_DATABASE_URL: database.url,
      CABINET_LOG_LEVEL: 'silent',
      USER: 'demo-test',
    };
    first = await runDemoWithConfig(env, openDemoCorpus(CORPUS), (l) => progress.push(l), {
      actorId: 'cli:demo-test',
      roles: ['admin'],
      correlationId: null,
    });
    container = await createContainer(loadConfig(env));
    app = await buildApp(container, { logger: false });
    await app.ready();
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await container?.close();
    await database?.dispose();
  });

  it('creates the set through the API and reports progress', async () => {
    expect(first.created).toBe(true);
    expect(first.counts).toEqual({ intents: 12, packs: 13, requests: 13, exceptions: 8 });
    expect(progress.some((l) => l.startsWith('[12/12]'))).toBe(true);

    const all = await requests(first.tokens.auditor.token);
    const byStatus: Record<string, number> = {};
    for (const r of all) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    expect(byStatus).toEqual({
      auto_approved: 2,
      approved: 1,
      approved_with_conditions: 1,
      denied: 1,
      superseded: 1,
      pending: 7,
    });
    expect(new Set(all.map((r) => r.recommendation))).toEqual(
      new Set(['LOW', 'MODERATE', 'CAUTION', 'HIGH', 'CRITICAL']),
    );
    expect(all.filter((r) => r.change_type === 'emergency')).toHaveLength(1);

    const stale = all.filter((r) => r.stale);
    expect(stale).toHaveLength(1);
    expect(stale[0]!.stale_reasons.map((s) => s.code)).toEqual(['exception_revoked']);

    // A second pack version: the superseded request's intent has a newer, pending request
    // whose detail carries the diff against the first version.
    const superseded = all.find((r) => r.status === 'superseded')!;
    const next = all.find((r) => r.evidence_pack.id === superseded.superseded_by)!;
    expect(next.deployment_intent).toBe(superseded.deployment_intent);
    expect(next.status).toBe('pending');
    expect([superseded.evidence_pack.version, next.evidence_pack.version]).toEqual(['1.0', '1.1']);
    const detail = await get<{ diff: unknown }>(first.tokens.cab1.token, `/api/v1/cab/${next.id}`);
    expect(detail.diff).not.toBeNull();

    const queue = await get<{ requests: Summary[]; counts_by_band: Record<string, number> }>(
      first.tokens.cab1.token,
      '/api/v1/cab/pending?limit=200',
    );
    expect(queue.requests).toHaveLength(7);

    const expiring = await get<{ exceptions: { status: string; days_until_expiry: number }[] }>(
      first.tokens.security.token,
      '/api/v1/exceptions?status=approved&expiring_within_days=7&limit=200',
    );
    expect(expiring.exceptions.length).toBeGreaterThanOrEqual(2);
    expect(expiring.exceptions.every((e) => e.days_until_expiry <= 7)).toBe(true);
  });

  it('adds nothing on a second run and issues fresh tokens that work', async () => {
    const before = await requests(first.tokens.auditor.token);
    const { io, out } = bufferIo(env);
    expect(await main(['--json', 'demo', '--corpus', CORPUS], io)).toBe(0);
    const second = JSON.parse(out.at(-1)!) as DemoResult;
    expect(second.created).toBe(false);
    expect(second.counts).toEqual({ intents: 0, packs: 0, requests: 0, exceptions: 0 });
    for (const key of Object.keys(first.tokens) as (keyof DemoResult['tokens'])[]) {
      expect(second.tokens[key].token).not.toBe(first.tokens[key].token);
      const me = await get<{ user: { email: string } }>(second.tokens[key].token, '/api/v1/me');
      expect(me.user.email).toBe(second.tokens[key].email);
    }
    const after = await requests(second.tokens.auditor.token);
    expect(after.map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
  }, 60_000);

  it('refuses a missing corpus with exit 2', async () => {
    const { io, err } = bufferIo(env);
    expect(await main(['demo', '--corpus', `${database.dataDir}/no-corpus`], io)).toBe(2);
    expect(err.join('\n')).toMatch(/corpus directory .* not found/);
  });
});
