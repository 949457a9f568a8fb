import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemContext } from '../src/platform/context.js';
import { dbKinds } from './databases.js';
import { type ServerChild, startServerChild } from './server-child.js';
import { startTestApp, type TestApp } from './test-app.js';

/**
 * A cabinet server process on the test database: the real server, so its dispatcher runs,
 * with a short lease so a killed process's messages come back within the test.
 */
const SERVER_CHILD = `
import { generateKeyPairSync } from 'node:crypto';
import { createContainer } from './src/composition-root.ts';
import { loadConfig } from './src/config/config.ts';
import { signingKeyFromPem } from './src/platform/crypto/signing-key.ts';
import { startServer } from './src/server.ts';
const { privateKey } = generateKeyPairSync('ed25519');
const container = await createContainer(loadConfig(process.env), {
  signingKey: signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
  migrate: false,
  dispatcher: { leaseMs: 3_000, instance: process.env.CHILD_NAME },
});
const server = await startServer(container, () => undefined);
process.stdout.write('url ' + server.url + '\\n');
for await (const _ of process.stdin) break;
await server.stop();
`;

/**
 * A webhook receiver counting deliveries per `webhook-id`. While held, it answers nothing
 * (deliveries stay in flight in the senders) until released.
 */
function receiver() {
  const seen = new Map<string, number>();
  let held: (() => void)[] | null = null;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      const answer = () => {
        seen.set(id, (seen.get(id) ?? 0) + 1);
        response.writeHead(204).end();
      };
      if (held) held.push(answer);
      else answer();
    });
  });
  return {
    seen,
    server,
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const answer of waiting) answer();
    },
    async listen(): Promise<string> {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    },
  };
}

const kinds = dbKinds.filter((k) => k === 'postgres');

describe.skipIf(kinds.length === 0).each(kinds)(
  'outbox delivery by two server processes on %s',
  (kind) => {
    let t: TestApp;
    let a: ServerChild;
    let b: ServerChild;
    const hooks = receiver();

    const enqueue = async (count: number, batch: string) => {
      for (let at = 0; at < count; at += 50) {
        await t.container.database.transaction(async (trx) => {
          for (let i = at; i < Math.min(count, at + 50); i++) {
            await t.container.outbox.enqueue(trx, systemContext(), {
              channel: 'webhook',
              event_type: 'deployment.authorized',
              plane: 'intune',
              payload: { batch, n: i },
            });
          }
        });
      }
    };
    const pending = async () => (await t.container.outbox.counts()).pending;

    beforeAll(async () => {
      t = await startTestApp(kind);
      const url = await hooks.listen();
      const created = await t.call({
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: { plane: 'intune', url, events: ['deployment.authorized'] },
      });
      expect(created.statusCode).toBe(201);
      a = await startServerChild(t, SERVER_CHILD, { CHILD_NAME: 'child-a' });
      b = await startServerChild(t, SERVER_CHILD, { CHILD_NAME: 'child-b' });
    });
    afterAll(async () => {
      await Promise.allSettled([a?.stop(), b?.stop()]);
      hooks.server.close();
      await t.close();
    });

    it('delivers 1,000 messages to one receiver, each exactly once', async () => {
      await enqueue(1_000, 'first');
      await vi.waitFor(
        async () => {
          expect(await pending()).toBe(0);
        },
        { timeout: 120_000, interval: 200 },
      );
      expect(hooks.seen.size).toBe(1_000);
      expect([...hooks.seen.values()].every((n) => n === 1)).toBe(true);
      // Both processes took part: each attempt names the instance that made it.
      const rows = await t.container.database.db
        .selectFrom('outbox_attempts')
        .select(['instance'])
        .distinct()
        .execute();
      expect(rows.map((r) => r.instance).sort()).toEqual(['child-a', 'child-b']);
    });

    it('loses nothing when one process is SIGKILLed mid-batch', async () => {
      const before = hooks.seen.size;
      // Deliveries hang at the receiver, so both processes hold claimed messages in flight.
      hooks.hold();
      await enqueue(1_000, 'second');
      const heldBy = async (instance: string) =>
        Number(
          (
            await t.container.database.db
              .selectFrom('outbox_messages')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('status', '=', 'pending')
              .where('claimed_by', '=', instance)
              .executeTakeFirstOrThrow()
          ).n,
        );
      await vi.waitFor(async () => expect(await heldBy('child-a')).toBeGreaterThan(0), {
        timeout: 60_000,
        interval: 20,
      });
      a.process.kill('SIGKILL');
      await once(a.process, 'close');
      hooks.release();
      await vi.waitFor(
        async () => {
          expect(await pending()).toBe(0);
        },
        { timeout: 120_000, interval: 200 },
      );
      // Everything arrived; what A held may have arrived twice (at least once, never lost).
      expect(hooks.seen.size).toBe(before + 1_000);
      const counts = await t.container.outbox.counts();
      expect(counts).toMatchObject({ pending: 0, dead: 0, delivered: 2_000 });
      // What A held when it died came back to B after the lease and is on record as abandoned.
      const abandoned = await t.container.database.db
        .selectFrom('outbox_attempts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('error', 'like', 'abandoned: child-a%')
        .executeTakeFirstOrThrow();
      expect(Number(abandoned.n)).toBeGreaterThan(0);
    });
  },
);
