import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_WINDOW_MS, AnonymousRefusals } from '../src/platform/http/request-context.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp } from './test-app.js';

describe('AnonymousRefusals', () => {
  it('opens one window per source, counts the rest, and reports the previous window', () => {
    let now = 1_000_000;
    const refusals = new AnonymousRefusals(() => now);
    expect(refusals.note('10.0.0.1', 401)).toEqual({ refused: 1, previous: null });
    for (let i = 0; i < 9; i += 1) expect(refusals.note('10.0.0.1', 401)).toBeNull();
    expect(refusals.note('10.0.0.2', 403)).toEqual({ refused: 1, previous: null });
    expect(refusals.count('10.0.0.1')).toBe(10);
    expect([...refusals.totals()]).toEqual([
      [401, 10],
      [403, 1],
    ]);
    now += ANONYMOUS_WINDOW_MS;
    expect(refusals.note('10.0.0.1', 401)).toEqual({
      refused: 1,
      previous: { started_at: new Date(1_000_000).toISOString(), refused: 10 },
    });
  });
});

describe.each(dbKinds)('anonymous refusals on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t.close());

  const rows = async (type: string) =>
    t.container.database.db
      .selectFrom('audit_events')
      .select(['subject', 'data'])
      .where('event_type', '=', type)
      .execute();

  it('writes one summary event per source for a flood, still counted in metrics', async () => {
    const flood = (remoteAddress: string, i: number) =>
      t.app.inject({
        method: i % 2 === 0 ? 'GET' : 'POST',
        url: i % 2 === 0 ? '/api/v1/me' : '/api/v1/intents',
        remoteAddress,
        headers: i % 3 === 0 ? { authorization: 'Bearer cab_not-a-token' } : {},
        ...(i % 2 === 0 ? {} : { payload: {} }),
      });
    const answers = await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => flood('203.0.113.7', i)),
      ...Array.from({ length: 10 }, (_, i) => flood('198.51.100.9', i)),
    ]);
    expect(answers.every((res) => res.statusCode === 401)).toBe(true);

    const summaries = await rows('request.refused.anonymous');
    expect(summaries.map((row) => row.subject).sort()).toEqual(['198.51.100.9', '203.0.113.7']);
    expect(JSON.parse(summaries[0]!.data)).toMatchObject({
      window_seconds: ANONYMOUS_WINDOW_MS / 1000,
      first: { status: 401 },
      previous_window: null,
    });
    expect(await rows('auth.refused')).toHaveLength(0);

    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    const refused = metrics.body
      .split('\n')
      .filter(
        (line) => line.startsWith('cabinet_http_requests_total{') && /status="401"/.test(line),
      )
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(refused).toBeGreaterThanOrEqual(70);
    // Its own counter, so a flood can be alerted on apart from signed-in refusals.
    expect(metrics.body).toMatch(/^cabinet_anonymous_refusals_total\{status="401"\} 70$/m);
  });

  it('still audits each refusal of a signed-in caller', async () => {
    const viewer = await t.user(['auditor']);
    for (let i = 0; i < 3; i += 1) {
      const res = await t.call({
        method: 'POST',
        url: '/api/v1/users',
        as: viewer,
        payload: { email: `x${i}@example.org`, display_name: 'X', roles: [] },
      });
      expect(res.statusCode).toBe(403);
    }
    const refused = await t.container.database.db
      .selectFrom('audit_events')
      .select('id')
      .where('event_type', '=', 'request.refused')
      .where('actor', '=', viewer.id)
      .execute();
    expect(refused).toHaveLength(3);
  });
});
