import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayRequest } from '../src/cab/cab-replay.js';
import { FINAL_STATUSES } from '../src/cab/cab-rules.js';
import { type CabWorld, cabWorld } from './cab-fixtures.js';
import { dbKinds } from './databases.js';
import { addEvidence } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

type Command =
  | { kind: 'approve' | 'deny' | 'comment'; who: number }
  | { kind: 'supersede'; coverage: number }
  | { kind: 'expire' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('approve' as const, 'deny' as const, 'comment' as const),
    who: fc.nat(3),
  }),
  fc.record({
    kind: fc.constant('supersede' as const),
    coverage: fc.integer({ min: 0, max: 100 }),
  }),
  fc.record({ kind: fc.constant('expire' as const) }),
);

describe.each(dbKinds)('CAB request history on %s (property)', (kind) => {
  let t: TestApp;
  let world: CabWorld;
  let sub: TestUser;
  let reviewer: TestUser;
  let members: TestUser[];

  beforeAll(async () => {
    t = await startTestApp(kind);
    sub = await t.user(['submitter']);
    reviewer = await t.user(['security_reviewer']);
    members = [
      await t.user(['cab_member']),
      await t.user(['cab_member']),
      await t.user(['cab_member', 'security_reviewer']),
      await t.user(['cab_member']),
    ];
    world = await cabWorld(t, reviewer);
  });
  afterAll(async () => {
    world.dispose();
    await t.close();
  });

  it('ends in at most one final state, never leaves it, and replays from the audit log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('excepted' as const, 'high' as const, 'critical' as const),
        fc.array(command, { minLength: 1, maxLength: 8 }),
        async (profile, commands) => {
          const { intentId, packId } = await world.pack(sub, profile);
          const submitted = await t.call({
            method: 'POST',
            url: '/api/v1/cab/submit',
            as: sub,
            payload: { evidence_pack_id: packId, justification: 'property' },
          });
          expect(submitted.statusCode, submitted.body).toBe(201);
          const id = submitted.json<{ id: string }>().id;
          const statusOf = async () =>
            (await t.call({ method: 'GET', url: `/api/v1/cab/${id}`, as: members[0]! })).json<{
              status: (typeof FINAL_STATUSES)[number] | 'pending';
              votes_so_far: { approvals: number; denials: number };
              stale_reasons: unknown[];
              comments: unknown[];
            }>();
          let final: string | null = null;
          for (const c of commands) {
            let res: { statusCode: number; body: string } | null = null;
            if (c.kind === 'approve' || c.kind === 'deny' || c.kind === 'comment') {
              const url =
                c.kind === 'approve'
                  ? `/api/v1/cab/${id}/approve`
                  : c.kind === 'deny'
                    ? `/api/v1/cab/${id}/deny`
                    : `/api/v1/cab/${id}/comments`;
              const payload =
                c.kind === 'deny' ? { reason: 'no' } : c.kind === 'comment' ? { text: 'hm' } : {};
              res = await t.call({ method: 'POST', url, as: members[c.who]!, payload });
            } else if (c.kind === 'supersede') {
              await addEvidence(
                t,
                sub,
                intentId,
                'kind=test_results',
                JSON.stringify({
                  stage: 'lab',
                  total: 1,
                  passed: 1,
                  failed: 0,
                  skipped: 0,
                  coverage_percent: c.coverage,
                }),
              );
              res = await t.call({
                method: 'POST',
                url: `/api/v1/intents/${intentId}/evidence-packs`,
                as: sub,
              });
            } else {
              const exceptions = (
                await t.call({ method: 'GET', url: `/api/v1/cab/${id}`, as: members[0]! })
              ).json<{ exception_ids: string[] }>().exception_ids;
              for (const e of exceptions) {
                res = await t.call({
                  method: 'POST',
                  url: `/api/v1/exceptions/${e}/revoke`,
                  as: reviewer,
                  payload: { reason: 'property' },
                });
              }
            }
            if (res) expect(res.statusCode, res.body).toBeLessThan(500);
            const now = await statusOf();
            if (final !== null) expect(now.status).toBe(final);
            else if ((FINAL_STATUSES as readonly string[]).includes(now.status)) final = now.status;
          }
          const stored = await statusOf();
          const events = await t.container.database.db
            .selectFrom('audit_events')
            .select(['event_type', 'data'])
            .where('subject', '=', id)
            .orderBy('seq')
            .execute();
          const finals = events.filter((e) =>
            ['cab.request.decided', 'cab.request.superseded'].includes(e.event_type),
          );
          expect(finals.length).toBeLessThanOrEqual(1);
          const replayed = replayRequest(
            events.map((e) => ({
              event_type: e.event_type,
              data: JSON.parse(e.data) as Record<string, unknown>,
            })),
          );
          expect(replayed).toEqual({
            status: stored.status,
            approvals: stored.votes_so_far.approvals,
            denials: stored.votes_so_far.denials,
            stale: stored.stale_reasons.length,
            comments: stored.comments.length,
          });
        },
      ),
      { numRuns: kind === 'sqlite' ? 25 : 10, seed: 20261201 },
    );
  });
});
