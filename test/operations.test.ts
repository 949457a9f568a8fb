import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { processIo } from '../src/cli/cli-io.js';
import { UnauthenticatedError } from '../src/platform/errors.js';
import { scheduledJobs } from '../src/server.js';
import { dbKinds } from './databases.js';
import { startTestApp } from './test-app.js';

describe.each(dbKinds)('operations on %s', (kind) => {
  it('runs the scheduled sweeps: checkpoint once per head, prune old idempotency keys', async () => {
    const t = await startTestApp(kind);
    try {
      const [checkpoint, prune] = scheduledJobs(t.container);
      expect(checkpoint?.name).toBe('audit-checkpoint');
      // Several instances running the sweep at once record the head once.
      const results = await Promise.all([checkpoint!.run(), checkpoint!.run(), checkpoint!.run()]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await t.container.audit.checkpoints()).toHaveLength(1);

      await t.call({
        method: 'POST',
        url: '/api/v1/users',
        payload: { email: 'old@example.org', display_name: 'Old', roles: [] },
        headers: { 'idempotency-key': 'old-key' },
      });
      expect(await prune!.run()).toBe(0);
      t.clock.advance(49 * 3_600_000);
      expect(await prune!.run()).toBe(1);

      const names = scheduledJobs(t.container).map((j) => j.name);
      const walJob = scheduledJobs(t.container).find((j) => j.name === 'sqlite-checkpoint');
      if (kind === 'sqlite') {
        await expect(walJob!.run()).resolves.toBeDefined();
      } else {
        expect(names).not.toContain('sqlite-checkpoint');
      }
    } finally {
      await t.close();
    }
  });

  it('reports not ready while a migration is pending', async () => {
    const t = await startTestApp(kind);
    try {
      await sql`delete from kysely_migration where name = '0001_foundation'`.execute(
        t.container.database.db,
      );
      const res = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().detail).toBe('migrations pending: 0001_foundation');
    } finally {
      await t.close();
    }
  });

  it('reports not ready when the database is gone, and answers 500 without internals', async () => {
    const t = await startTestApp(kind);
    await t.container.database.close();
    const failed = await t.call({ method: 'GET', url: '/api/v1/me' });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({
      type: 'urn:cabinet:problem:internal',
      detail: 'The server could not complete the request.',
    });
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not_ready', database: kind });
    await t.app.close();
    await t.database.dispose();
  });
});

describe('process io', () => {
  it('writes lines to stdout and stderr', () => {
    const writes: string[] = [];
    const out = process.stdout.write;
    const err = process.stderr.write;
    process.stdout.write = ((s: string) => writes.push(`out:${s}`)) as never;
    process.stderr.write = ((s: string) => writes.push(`err:${s}`)) as never;
    try {
      processIo.out('a');
      processIo.err('b');
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(writes).toEqual(['out:a\n', 'err:b\n']);
    expect(new UnauthenticatedError().message).toMatch(/bearer token/);
  });
});
