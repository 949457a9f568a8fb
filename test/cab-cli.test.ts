import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiClientFromEnv } from '../src/cli/api-client.js';
import { formatAge, parseCondition } from '../src/cli/cab-commands.js';
import { formatDuration, parseDuration } from '../src/cli/gate-command.js';
import { main } from '../src/cli/main.js';
import { type CabWorld, cabWorld } from './cab-fixtures.js';
import { capture } from './cli-harness.js';
import { dbKinds } from './databases.js';
import { addEvidence } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

describe.each(dbKinds)('cabinet CAB commands on %s', (kind) => {
  let t: TestApp;
  let world: CabWorld;
  let url: string;
  let sub: TestUser;
  let cab1: TestUser;
  let cab2: TestUser;
  let reviewer: TestUser;

  beforeAll(async () => {
    t = await startTestApp(kind);
    sub = await t.user(['submitter']);
    cab1 = await t.user(['cab_member']);
    cab2 = await t.user(['cab_member']);
    reviewer = await t.user(['security_reviewer']);
    world = await cabWorld(t, reviewer);
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    world.dispose();
    await t.close();
  });

  /** Runs the CLI in-process as `as`, capturing what it prints. */
  const run = async (as: TestUser, ...argv: string[]) => {
    const { io, out, err } = capture({ CABINET_URL: url, CABINET_TOKEN: as.token });
    const started = Date.now();
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n'), ms: Date.now() - started };
  };
  const submitted = async (profile: 'low_violation' | 'standard') => {
    const { packId } = await world.pack(sub, profile);
    const res = await run(sub, '--json', 'submit', packId, '--justification', 'monthly patch');
    expect(res.code, res.err).toBe(0);
    return JSON.parse(res.out) as { id: string; status: string };
  };

  it('submits: a pending normal change in words, an auto-approved standard one as JSON', async () => {
    const { packId } = await world.pack(sub, 'low_violation');
    const human = await run(sub, 'submit', packId, '--justification', 'monthly patch');
    expect(human.code, human.err).toBe(0);
    expect(human.out).toMatch(/^CAB request \S+: pending \(normal change\)$/m);
    expect(human.out).toMatch(/^ {2}pack: +\S+ version 1\.0, digest sha256:[0-9a-f]{64}$/m);
    expect(human.out).toMatch(
      /^ {2}risk: +\d+ LOW \(model 1\.0\), CAB review required, 1 policy violation, 0 exceptions$/m,
    );
    expect(human.out).toMatch(/^ {2}approvals: +0 of 1 required \(approval policy 1\.0\)$/m);

    const standard = await world.pack(sub, 'standard');
    const json = await run(sub, '--json', 'submit', standard.packId, '--justification', 'patch');
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      status: 'auto_approved',
      change_type: 'standard',
      recommendation: 'LOW',
      approvals_required: 0,
      evidence_pack: { id: standard.packId, version: '1.0' },
    });

    // The same pack again: the server's refusal is one line and exit 2.
    const again = await run(sub, 'submit', packId, '--justification', 'again');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/^error: 409: /m);
  });

  it('lists the queue as a table with band counts, and pages with a cursor', async () => {
    const a = await submitted('low_violation');
    t.clock.advance(1_000);
    const b = await submitted('low_violation');
    const table = await run(cab1, 'cab', 'pending', '--band', 'low', '--sort', '-submitted_at');
    expect(table.code, table.err).toBe(0);
    const lines = table.out.split('\n');
    expect(lines[0]).toMatch(
      /^id +app +version +plane +change_type +score +band +votes +age +stale$/,
    );
    const row = lines.find((l) => l.startsWith(b.id))!;
    expect(row).toMatch(/ 7-Zip +\S+ +intune +normal +\d+ +LOW +0\/1 +\d+[smhd]\S* +-$/);
    expect(lines.findIndex((l) => l.startsWith(b.id))).toBeLessThan(
      lines.findIndex((l) => l.startsWith(a.id)),
    );
    expect(table.out).toMatch(
      /^pending by band: LOW \d+, MODERATE \d+, CAUTION \d+, HIGH \d+, CRITICAL \d+$/m,
    );
    expect(table.out).not.toMatch(/next page/);

    const first = await run(cab1, 'cab', 'pending', '--limit', '1', '--sort', 'submitted_at');
    const cursor = /^next page: --cursor (\S+)$/m.exec(first.out)?.[1];
    expect(cursor, first.out).toBeDefined();
    const next = await run(
      cab1,
      '--json',
      'cab',
      'pending',
      '--limit',
      '1',
      '--sort',
      'submitted_at',
      '--cursor',
      cursor!,
    );
    const page = JSON.parse(next.out);
    expect(page.requests).toHaveLength(1);
    expect(first.out).not.toContain(page.requests[0].id);
    expect(page.counts_by_band).toBeNull();
    const counted = JSON.parse((await run(cab1, '--json', 'cab', 'pending')).out);
    expect(counted.counts_by_band.LOW).toBeGreaterThanOrEqual(2);
    // Later pages carry no band counts (the server counts with the first page only).
    const later = await run(
      cab1,
      'cab',
      'pending',
      '--limit',
      '1',
      '--sort',
      'submitted_at',
      '--cursor',
      cursor!,
    );
    expect(later.out).not.toMatch(/pending by band/);
    expect(later.out).toMatch(/^next page: --cursor \S+$/m);

    const none = await run(cab1, 'cab', 'pending', '--change-type', 'emergency');
    expect(none.out.split('\n')[0]).toBe('(none)');
  });

  it('shows, approves with a blocking condition, and gates ring by ring', async () => {
    const { id } = await submitted('low_violation');
    const shown = await run(cab1, 'cab', 'show', id);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(new RegExp(`^CAB request ${id}: pending \\(normal change\\)$`, 'm'));
    expect(shown.out).toMatch(/^ {2}rings: +ring0, ring1$/m);
    expect(shown.out).toMatch(/^ {2}risk factors \(weighted\/weight\):$/m);
    expect(shown.out).toMatch(/^ {4}vulnerabilities +[\d.]+\/\d+ {2}\S/m);
    expect(shown.out).toMatch(/^ {2}policy: +1 violation \(set \S+\)$/m);
    expect(shown.out).toMatch(/^ {2}votes: +none$/m);
    expect(shown.out).toMatch(/^ {2}comments: +0$/m);

    const refusedAtFirst = await run(cab1, 'gate', id, '--ring', 'ring0');
    expect(refusedAtFirst.code).toBe(3);
    expect(refusedAtFirst.out).toMatch(/^ {2}not_decided: the request is pending: 0 of 1/m);

    const approved = await run(
      cab1,
      'cab',
      'approve',
      id,
      '--notes',
      'ok with a smoke test',
      '--condition',
      'smoke test on ring0: install and detect:blocks:ring1',
      '--condition',
      'watch the crash rate',
    );
    expect(approved.code, approved.err).toBe(0);
    expect(approved.out).toMatch(/: approved_with_conditions \(normal change\)$/m);
    expect(approved.out).toMatch(
      /^ {4}\[ \] c1 smoke test on ring0: install and detect \(blocks ring1 and later rings\); not verified$/m,
    );
    expect(approved.out).toMatch(/^ {4}\[ \] c2 watch the crash rate \(does not block\)/m);
    expect(approved.out).toMatch(/^ {2}authorised: +until \S+Z$/m);

    const detail = JSON.parse((await run(cab2, '--json', 'cab', 'show', id)).out);
    expect(detail.approval_conditions[0]).toMatchObject({
      text: 'smoke test on ring0: install and detect',
      blocks_rollout: true,
      before_ring: 'ring1',
      verified: false,
    });
    expect((await run(cab2, 'cab', 'show', id)).out).toMatch(
      new RegExp(
        `^ {4}approve +${cab1.email.replace('.', '\\.')} at \\S+ \\[2 conditions\\]: ok`,
        'm',
      ),
    );

    const ring1 = await run(cab1, 'gate', id, '--ring', 'ring1');
    expect(ring1.code).toBe(3);
    expect(ring1.out).toMatch(/^refused: ring1 of CAB request \S+ may not start/m);
    expect(ring1.out).toMatch(/^ {2}condition_unverified: condition c1 \(smoke test/m);
    const ring1Json = await run(cab1, '--json', 'gate', id, '--ring', 'ring1');
    expect(ring1Json.code).toBe(3);
    expect(JSON.parse(ring1Json.out)).toMatchObject({
      allowed: false,
      reasons: [{ code: 'condition_unverified' }],
    });

    const ring0 = await run(cab1, 'gate', id, '--ring', 'ring0');
    expect(ring0.code, ring0.out + ring0.err).toBe(0);
    expect(ring0.out).toMatch(
      /^allowed: ring0 of CAB request \S+ may start \(approved_with_conditions, authorised until \S+\)$/,
    );
    const waited = await run(cab1, 'gate', id, '--ring', 'ring0', '--wait', '--timeout', '1s');
    expect(waited.code).toBe(0);
    expect(waited.ms).toBeLessThan(1000);

    // An unknown ring is a refusal by the API (exit 2), not a closed gate.
    const unknown = await run(cab1, 'gate', id, '--ring', 'ring9');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^error: 422: .*no ring "ring9"/m);
  });

  it('waits on a pending request until the timeout, then exits 3', async () => {
    const { id } = await submitted('low_violation');
    const res = await run(
      cab1,
      'gate',
      id,
      '--ring',
      'ring0',
      '--wait',
      '--timeout',
      '1s',
      '--interval',
      '300ms',
    );
    expect(res.code).toBe(3);
    expect(res.ms).toBeGreaterThanOrEqual(1000);
    expect(res.ms).toBeLessThan(5000);
    expect(res.err).toMatch(/^gate: ring0 not allowed yet \(not_decided\); checking every 300ms/m);
    expect(res.err.match(/not allowed yet/g)).toHaveLength(1);
    expect(res.err).toMatch(/^gate: timed out after 1s, still refused$/m);
    expect(res.out).toMatch(/^ {2}not_decided: /m);
  });

  it('denies with a reason; waiting on a denial stops at once', async () => {
    const { id } = await submitted('low_violation');
    const mine = await run(sub, 'cab', 'approve', id);
    expect(mine.code).toBe(2);
    expect(mine.err).toMatch(/^error: 403: /m);

    const denied = await run(cab2, 'cab', 'deny', id, '--reason', 'rollback plan untested');
    expect(denied.code, denied.err).toBe(0);
    expect(denied.out).toMatch(/: denied \(normal change\)$/m);
    expect(denied.out).toMatch(/^ {2}reason: +rollback plan untested$/m);
    expect(JSON.parse((await run(cab2, '--json', 'cab', 'show', id)).out).status).toBe('denied');

    const gate = await run(cab1, 'gate', id, '--ring', 'ring0', '--wait', '--timeout', '10m');
    expect(gate.code).toBe(3);
    expect(gate.ms).toBeLessThan(5000);
    expect(gate.out).toMatch(/^ {2}denied: the CAB denied it: rollback plan untested$/m);
    expect(gate.err).toMatch(/not waiting: denied will not change by waiting/);
  });

  it('refuses bad arguments with exit 2 before calling the server', async () => {
    const cases: [string[], RegExp][] = [
      [['cab', 'deny', 'x'], /required option '--reason <text>' not specified/],
      [['submit', 'x'], /required option '--justification <text>' not specified/],
      [['gate', 'x'], /required option '--ring <name>' not specified/],
      [['gate', 'x', '--ring', 'r', '--wait', '--timeout', '30'], /expected a duration/],
      [['gate', 'x', '--ring', 'r', '--wait', '--interval', '0s'], /more than zero/],
      [['gate', 'x', '--ring', 'r', '--timeout', '1m'], /only apply with --wait/],
      [['cab', 'approve', 'x', '--condition', ':blocks'], /has no text/],
      [['cab', 'approve', 'x', '--condition', 'a:blocks: '], /ring name after "blocks:" is empty/],
      [['cab', 'pending', '--band', 'purple'], /Allowed choices are LOW, MODERATE/],
      [['cab', 'pending', '--sort', 'age'], /Allowed choices are/],
      [['cab', 'pending', '--limit', 'ten'], /whole number/],
    ];
    for (const [argv, message] of cases) {
      const res = await run(cab1, ...argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.err, argv.join(' ')).toMatch(message);
    }
    const missing = await run(cab1, 'cab', 'show', 'no-such-request');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error: 404: CAB request no-such-request was not found\.$/m);
  });

  it('prints what a standard, an emergency and a critical change need', async () => {
    const standard = await world.pack(sub, 'standard');
    const auto = await run(sub, 'submit', standard.packId, '--justification', 'patch');
    expect(auto.out).toMatch(/: auto_approved \(standard change\)$/m);
    expect(auto.out).toMatch(/^ {2}approvals: +none needed \(standard change\)$/m);
    expect(auto.out).toMatch(/^ {2}authorised: +until \S+Z$/m);

    const high = await world.pack(sub, 'high');
    const emergency = await run(
      sub,
      'submit',
      high.packId,
      '--justification',
      'actively exploited',
      '--emergency',
    );
    expect(emergency.out).toMatch(/: pending \(emergency change\)$/m);
    expect(emergency.out).toMatch(/^ {2}approvals: +0 of 1 required/m);
    const id = /^CAB request (\S+):/.exec(emergency.out)![1]!;
    const voted = JSON.parse((await run(cab1, '--json', 'cab', 'approve', id)).out);
    expect(voted.status).toBe('approved');
    const reviewed = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${id}/post-review`,
      as: cab2,
      payload: { notes: 'went fine', outcome: 'successful' },
    });
    expect(reviewed.statusCode, reviewed.body).toBe(200);
    const shown = await run(cab2, 'cab', 'show', id);
    expect(shown.out).toMatch(/^ {2}decided: +\S+ by \S+$/m);
    expect(shown.out).toMatch(/^ {2}post-review: +due \S+Z$/m);
    expect(shown.out).toMatch(/^ {2}reviewed after: successful at \S+: went fine$/m);
    expect(shown.out).toMatch(/^ {2}attestation: +GET \/api\/v1\/cab\/\S+\/attestation$/m);

    const critical = await world.pack(sub, 'critical');
    const crit = await run(sub, 'submit', critical.packId, '--justification', 'big one');
    expect(crit.out).toMatch(
      /^ {2}approvals: +0 of 2 required, one of them a security reviewer \(approval policy 1\.0\)$/m,
    );
  });

  it('shows exceptions with their days left, and a stale request that waiting cannot help', async () => {
    const excepted = await world.pack(sub, 'excepted');
    const res = await run(sub, '--json', 'submit', excepted.packId, '--justification', 'waived');
    const request = JSON.parse(res.out) as { id: string; exception_ids: string[] };
    const shown = await run(cab1, 'cab', 'show', request.id);
    expect(shown.out).toMatch(/^ {2}policy: +1 violation \(set \S+\), 1 waived by exceptions$/m);
    expect(shown.out).toMatch(
      new RegExp(
        `^ {4}${request.exception_ids[0]} vuln_critical approved, expires \\S+ \\(30 days left\\)$`,
        'm',
      ),
    );
    const revoked = await t.call({
      method: 'POST',
      url: `/api/v1/exceptions/${request.exception_ids[0]}/revoke`,
      as: reviewer,
      payload: { reason: 'EDR rule removed' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const stale = await run(cab1, 'cab', 'show', request.id);
    expect(stale.out).toMatch(/^ {2}STALE: +.+ \(exception_revoked, \S+\)$/m);
    expect((await run(cab1, 'cab', 'pending')).out).toMatch(
      new RegExp(`^${request.id} .* STALE$`, 'm'),
    );
    const gate = await run(cab1, 'gate', request.id, '--ring', 'ring0', '--wait');
    expect(gate.code).toBe(3);
    expect(gate.err).toMatch(/not waiting: evidence_stale, exception_inactive will not change/);
  });

  it('names the newer request of a superseded one, and gates it as final', async () => {
    const { intentId, packId } = await world.pack(sub, 'low_violation');
    const first = JSON.parse(
      (await run(sub, '--json', 'submit', packId, '--justification', 'v1')).out,
    ) as { id: string };
    const lab = { stage: 'lab', total: 3, passed: 3, failed: 0, skipped: 0, coverage_percent: 80 };
    const added = await addEvidence(t, sub, intentId, 'kind=test_results', JSON.stringify(lab));
    expect(added.statusCode, added.body).toBe(201);
    const next = await world.generate(intentId, sub);
    expect((await run(cab1, 'cab', 'show', first.id)).out).toMatch(
      new RegExp(`^ {2}superseded: +by ${next.id}$`, 'm'),
    );
    const gate = await run(cab1, '--json', 'gate', first.id, '--ring', 'ring0', '--wait');
    expect(gate.code).toBe(3);
    expect(JSON.parse(gate.out).reasons.map((r: { code: string }) => r.code)).toEqual([
      'superseded',
    ]);
  });

  it('denies as JSON, with the veto in the votes', async () => {
    const { id } = await submitted('low_violation');
    const denied = await run(cab1, '--json', 'cab', 'deny', id, '--reason', 'no rollback');
    expect(JSON.parse(denied.out)).toMatchObject({
      status: 'denied',
      votes: [{ decision: 'deny', notes: 'no rollback' }],
    });
    expect((await run(cab1, 'cab', 'show', id)).out).toMatch(
      /^ {4}deny +\S+ at \S+: no rollback$/m,
    );
  });

  // Last: it moves the shared clock past every authorisation window.
  it('marks an expired authorisation, and the gate refuses it', async () => {
    const { id } = await submitted('low_violation');
    await run(cab1, 'cab', 'approve', id, '--condition', 'rollback rehearsed:blocks');
    t.clock.advance(15 * 86_400_000);
    // The CLI reads the window against its own clock: let it see the server's.
    vi.useFakeTimers({ toFake: ['Date'], now: t.clock.now() });
    let shown: Awaited<ReturnType<typeof run>>;
    try {
      shown = await run(cab1, 'cab', 'show', id);
    } finally {
      vi.useRealTimers();
    }
    expect(shown.out).toMatch(
      /^ {2}authorised: +until \S+ \(EXPIRED: submit a new pack version\)$/m,
    );
    expect(shown.out).toMatch(
      /^ {4}\[ \] c1 rollback rehearsed \(blocks every ring\); not verified$/m,
    );
    const gate = await run(cab1, 'gate', id, '--ring', 'ring0', '--wait');
    expect(gate.code).toBe(3);
    expect(gate.out).toMatch(/^ {2}authorization_expired: /m);
    expect(gate.out).toMatch(/^ {2}condition_unverified: /m);
  });

  it('gate: an unreachable server is exit 1, also after waiting and retrying', async () => {
    const { io, err } = capture({ CABINET_URL: 'http://127.0.0.1:9', CABINET_TOKEN: 'x' });
    expect(await main(['gate', 'x', '--ring', 'r'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:9: /m);
    const waiting = capture({ CABINET_URL: 'http://127.0.0.1:9', CABINET_TOKEN: 'x' });
    const argv = [
      'gate',
      'x',
      '--ring',
      'r',
      '--wait',
      '--timeout',
      '600ms',
      '--interval',
      '200ms',
    ];
    expect(await main(argv, waiting.io)).toBe(1);
    expect(waiting.err.join('\n')).toMatch(/^gate: cannot reach .*; retrying/m);
  });
});

describe('the API transport, against a scripted server', () => {
  type Reply = (res: ServerResponse) => void;
  let replies: Reply[] = [];
  let seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
        (replies.shift() ?? ((r) => r.writeHead(500).end()))(res);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const json =
    (status: number, body: unknown): Reply =>
    (res) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const gate = (allowed: boolean) =>
    json(200, {
      request_id: 'r1',
      ring: 'ring0',
      allowed,
      status: allowed ? 'approved' : 'pending',
      authorization_expires_at: null,
      reasons: allowed ? [] : [{ code: 'not_decided', message: 'pending' }],
      checked_at: '2026-01-01T00:00:00.000Z',
    });
  const cli = async (...argv: string[]) => {
    const { io, out, err } = capture({ CABINET_URL: `${base}/`, CABINET_TOKEN: 'tok' });
    return { code: await main(argv, io), out: out.join('\n'), err: err.join('\n') };
  };

  it('retries an overloaded server while waiting, and opens the gate when it answers', async () => {
    replies = [gate(false), json(503, { detail: 'busy' }), gate(true)];
    seen = [];
    const res = await cli('gate', 'r1', '--ring', 'ring0', '--wait', '--interval', '50ms');
    expect(res.code, res.err).toBe(0);
    expect(res.err).toMatch(/^gate: 503: busy; retrying \(\S+ left\)$/m);
    expect(res.out).toBe('allowed: ring0 of CAB request r1 may start (approved)');
    expect(seen.map((r) => [r.method, r.url, r.auth])).toEqual(
      Array(3).fill(['GET', '/api/v1/cab/r1/gate?ring=ring0', 'Bearer tok']),
    );
  });

  it('does not retry a refusal, and ends on a server error after the timeout', async () => {
    replies = [json(401, { detail: 'A valid bearer token is required.' })];
    const refused = await cli('gate', 'r1', '--ring', 'ring0', '--wait');
    expect(refused.code).toBe(2);
    expect(refused.err).toBe('error: 401: A valid bearer token is required.');
    replies = Array.from({ length: 20 }, () => json(502, { detail: 'bad gateway' }));
    const down = await cli(
      'gate',
      'r1',
      '--ring',
      'ring0',
      '--wait',
      '--timeout',
      '200ms',
      '--interval',
      '50ms',
    );
    expect(down.code).toBe(2);
    expect(down.err).toMatch(/error: 502: bad gateway$/);
  });

  it('refuses to follow a redirect, and reports an answer cut short', async () => {
    replies = [(res) => res.writeHead(301, { location: 'https://cab.example/api' }).end()];
    const moved = await cli('cab', 'show', 'r1');
    expect(moved.code).toBe(2);
    expect(moved.err).toMatch(/^error: 301: the server redirects to https:\/\/cab\.example\/api/);
    replies = [
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"id":');
        setTimeout(() => res.destroy(), 20);
      },
    ];
    const cut = await cli('cab', 'show', 'r1');
    expect(cut.code).toBe(1);
    expect(cut.err).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:\d+: /);
    replies = [(res) => res.writeHead(204).end()];
    seen = [];
    const empty = await apiClientFromEnv({ CABINET_URL: base, CABINET_TOKEN: 't' }).call(
      'POST',
      '/x',
      {
        json: { a: 'ä' },
      },
    );
    expect(empty).toBeNull();
    expect(seen[0]!.body).toBe('{"a":"ä"}');
  });

  it('sends every call through an injected fetch', async () => {
    const calls: string[] = [];
    const fake = (async (url: URL, init: RequestInit) => {
      calls.push(`${init.method} ${url} ${String(init.body)}`);
      return new Response('{"ok":true}', { status: 200 });
    }) as typeof fetch;
    const api = apiClientFromEnv({ CABINET_TOKEN: 't' }, fake);
    expect(api.baseUrl).toBe('http://127.0.0.1:8080');
    expect(
      await api.call('POST', '/y', { json: { b: 1 }, query: { q: 'v', none: undefined } }),
    ).toEqual({
      ok: true,
    });
    expect(calls).toEqual(['POST http://127.0.0.1:8080/y?q=v {"b":1}']);
  });
});

describe('CAB command arguments', () => {
  it('reads conditions as TEXT[:blocks[:RING]], the last fields only', () => {
    const plain = { blocks_rollout: false, before_ring: null };
    expect(parseCondition('watch the crash rate')).toEqual({
      text: 'watch the crash rate',
      ...plain,
    });
    expect(parseCondition('check x:blocks')).toEqual({
      text: 'check x',
      blocks_rollout: true,
      before_ring: null,
    });
    expect(parseCondition('see https://wiki/x:blocks:ring1')).toEqual({
      text: 'see https://wiki/x',
      blocks_rollout: true,
      before_ring: 'ring1',
    });
    expect(parseCondition('note: a:b')).toEqual({ text: 'note: a:b', ...plain });
    expect(parseCondition('blocks')).toEqual({ text: 'blocks', ...plain });
    expect(parseCondition('a:blocks:b:c')).toEqual({ text: 'a:blocks:b:c', ...plain });
    expect(parseCondition('exit code:blocks:')).toEqual({ text: 'exit code:blocks', ...plain });
    expect(parseCondition('a:Blocks')).toEqual({ text: 'a:Blocks', ...plain });
    expect(() => parseCondition('blocks:ring1')).not.toThrow();
    expect(parseCondition('blocks:ring1')).toEqual({ text: 'blocks:ring1', ...plain });
    expect(() => parseCondition(':blocks:ring1')).toThrow(/no text/);
  });

  it('reads and prints durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1d')).toBe(86_400_000);
    for (const bad of ['', '30', '1.5h', '10 m', 'm', '5x', '0s']) {
      expect(() => parseDuration(bad), bad).toThrow();
    }
    expect(formatDuration(300)).toBe('300ms');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(61_000)).toBe('1m1s');
    expect(formatDuration(1_000)).toBe('1s');
    expect(formatAge(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d4h');
    expect(formatAge(65_000)).toBe('1m');
    expect(formatAge(-5)).toBe('0s');
  });
});

/**
 * `cabinet gate` is a pipeline step: its start-up must not load the server. The static import
 * graph of the CLI entry point (what loads before any command runs) holds only the CLI's own
 * light modules, commander and node built-ins; heavy modules load in actions via import().
 */
describe('CLI start-up', () => {
  const root = resolve(import.meta.dirname, '..');
  const staticImports = (file: string): string[] => {
    const source = readFileSync(file, 'utf8');
    const specifiers: string[] = [];
    for (const m of source.matchAll(
      /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
    )) {
      if (!m[1]) specifiers.push(m[2]!);
    }
    return specifiers;
  };

  it('loads no server, database or parser module before a command runs', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of staticImports(file)) {
        if (specifier.startsWith('.')) {
          visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
        } else {
          packages.add(specifier);
        }
      }
    };
    visit(join(root, 'src/cli/run.ts'));
    const local = [...seen].map((f) => f.slice(root.length + 1)).sort();
    expect(local.filter((f) => !f.startsWith('src/cli/'))).toEqual([
      'src/identity/roles.ts',
      'src/platform/errors.ts',
    ]);
    expect(local).toContain('src/cli/gate-command.ts');
    expect(local).not.toContain('src/cli/verify-run.ts');
    expect([...packages].filter((p) => !p.startsWith('node:')).sort()).toEqual(['commander']);
  });
});
