import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CabWorld, cabWorld } from './cab-fixtures.js';
import { dbKinds } from './databases.js';
import { type ServerChild, startServerChild } from './server-child.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

/** A second cabinet server process on the same database, listening on a free loopback port. */
const SERVER_CHILD = `
import { generateKeyPairSync } from 'node:crypto';
import { createContainer } from './src/composition-root.ts';
import { loadConfig } from './src/config/config.ts';
import { FixedClock } from './src/platform/clock.ts';
import { signingKeyFromPem } from './src/platform/crypto/signing-key.ts';
import { startServer } from './src/server.ts';
const { privateKey } = generateKeyPairSync('ed25519');
const container = await createContainer(loadConfig(process.env), {
  clock: new FixedClock(process.env.CHILD_CLOCK_AT),
  signingKey: signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
  migrate: false,
});
const server = await startServer(container, () => undefined);
process.stdout.write('url ' + server.url + '\\n');
for await (const _ of process.stdin) break;
await server.stop();
`;

// Two processes on one SQLite file queue on its write lock (covered in cab.test.ts with one
// process); the race that needs proving across processes is PostgreSQL's.
const kinds = dbKinds.filter((k) => k === 'postgres');

describe.skipIf(kinds.length === 0).each(kinds)(
  'CAB votes across two server processes on %s',
  (kind) => {
    let t: TestApp;
    let world: CabWorld;
    let child: ServerChild;
    let childUrl: string;
    let sub: TestUser;

    beforeAll(async () => {
      t = await startTestApp(kind);
      sub = await t.user(['submitter']);
      world = await cabWorld(t, await t.user(['security_reviewer']));
      child = await startServerChild(t, SERVER_CHILD, {
        CHILD_CLOCK_AT: t.clock.now().toISOString(),
      });
      childUrl = child.url;
    });
    afterAll(async () => {
      await child.stop();
      world.dispose();
      await t.close();
    });

    it('lets exactly one of 100 concurrent approvals, split over both processes, decide', async () => {
      const members = await Promise.all(Array.from({ length: 100 }, () => t.user(['cab_member'])));
      const { packId } = await world.pack(sub, 'low_violation');
      const submitted = await t.call({
        method: 'POST',
        url: '/api/v1/cab/submit',
        as: sub,
        payload: { evidence_pack_id: packId, justification: 'race' },
      });
      const id = submitted.json<{ id: string }>().id;
      const results = await Promise.all(
        members.map(async (member, i) => {
          if (i % 2 === 0) {
            const res = await t.call({
              method: 'POST',
              url: `/api/v1/cab/${id}/approve`,
              as: member,
              payload: {},
            });
            return { status: res.statusCode, reason: res.json<{ reason?: string }>().reason };
          }
          const res = await fetch(`${childUrl}/api/v1/cab/${id}/approve`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${member.token}`,
              'content-type': 'application/json',
            },
            body: '{}',
          });
          return { status: res.status, reason: ((await res.json()) as { reason?: string }).reason };
        }),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      const refused = results.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(99);
      expect(refused.every((r) => r.status === 409 && r.reason === 'already_decided')).toBe(true);
      const events = await t.container.database.db
        .selectFrom('audit_events')
        .select('event_type')
        .where('subject', '=', id)
        .execute();
      expect(events.filter((e) => e.event_type === 'cab.request.decided')).toHaveLength(1);
      expect(events.filter((e) => e.event_type === 'cab.vote.cast')).toHaveLength(1);
      const verify = await t.call({ method: 'GET', url: '/api/v1/audit/verify' });
      expect(verify.json()).toMatchObject({ ok: true });
    });
  },
);
