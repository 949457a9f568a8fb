import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliContext } from '../src/cli/cli-io.js';
import { main } from '../src/cli/main.js';
import { createDatabase } from '../src/platform/db/database.js';
import { dropAppendOnly } from '../src/platform/db/migrations/append-only.js';
import { capture } from './cli-harness.js';
import { createTestDatabase, dbKinds, type TestDatabase } from './databases.js';

describe.each(dbKinds)('cabinet CLI on %s', (kind) => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    database = await createTestDatabase(kind);
    env = {
      CABINET_DATA_DIR: database.dataDir,
      CABINET_DATABASE_URL: database.url,
      CABINET_LOG_LEVEL: 'silent',
      USER: 'ops',
    };
  });
  afterEach(async () => database.dispose());

  const run = async (...argv: string[]) => {
    const c = capture(env);
    const code = await main(argv, c.io);
    return { code, out: c.out.join('\n'), err: c.err.join('\n') };
  };

  it('migrates, manages users and tokens, and verifies the audit log', async () => {
    expect(await run('migrate')).toMatchObject({
      code: 0,
      out: expect.stringContaining('applied'),
    });
    expect(await run('migrate')).toMatchObject({
      code: 0,
      out: expect.stringContaining('current'),
    });
    expect(JSON.parse((await run('--json', 'migrate')).out)).toMatchObject({ applied: [] });

    const created = await run(
      '--json',
      'users',
      'create',
      '--email',
      'ann@example.org',
      '--name',
      'Ann',
      '--roles',
      'submitter, cab_member',
    );
    expect(created.code).toBe(0);
    const ann = JSON.parse(created.out);
    expect(ann.roles).toEqual(['cab_member', 'submitter']);
    expect((await run('users', 'create', '--email', 'b@example.org', '--name', 'B')).out).toMatch(
      /created user b@example.org/,
    );
    const badRole = await run(
      'users',
      'create',
      '--email',
      'c@x.org',
      '--name',
      'C',
      '--roles',
      'king',
    );
    expect(badRole).toMatchObject({ code: 2, err: expect.stringContaining('unknown role king') });

    expect((await run('users', 'list')).out).toMatch(
      /ann@example.org\s+Ann\s+cab_member,submitter/,
    );
    expect(JSON.parse((await run('--json', 'users', 'list')).out)).toHaveLength(2);

    const updated = await run('users', 'update', ann.id, '--roles', 'auditor', '--disable');
    expect(updated.out).toMatch(/roles auditor, disabled true/);
    expect(
      JSON.parse((await run('--json', 'users', 'update', ann.id, '--enable')).out),
    ).toMatchObject({ disabled: false });

    const token = await run('tokens', 'create', '--user', 'ann@example.org', '--name', 'laptop');
    expect(token.out).toMatch(/^token: cab_[A-Za-z0-9_-]{43}$/m);
    const tokenJson = JSON.parse(
      (await run('--json', 'tokens', 'create', '--user', ann.id, '--expires-in-days', '7')).out,
    );
    expect(tokenJson.token).toMatch(/^cab_/);
    expect(await run('tokens', 'create', '--user', 'nobody@x.org')).toMatchObject({ code: 2 });
    expect(await run('tokens', 'create', '--user', ann.id, '--expires-in-days', '0')).toMatchObject(
      { code: 2, err: expect.stringContaining('--expires-in-days') },
    );

    expect((await run('tokens', 'list')).out).toMatch(/laptop/);
    expect(JSON.parse((await run('--json', 'tokens', 'list', '--user', ann.id)).out)).toHaveLength(
      2,
    );
    // A user is named by id or email wherever a command takes one.
    expect(
      JSON.parse((await run('--json', 'tokens', 'list', '--user', 'ANN@example.org')).out),
    ).toHaveLength(2);
    expect(await run('tokens', 'list', '--user', 'nobody@x.org')).toMatchObject({
      code: 2,
      err: expect.stringContaining('no user with email nobody@x.org'),
    });
    expect(await run('tokens', 'list', '--user', 'no-such-id')).toMatchObject({ code: 2 });
    expect((await run('users', 'update', 'ann@example.org', '--roles', 'auditor')).out).toMatch(
      /updated ann@example.org: roles auditor/,
    );
    expect((await run('tokens', 'revoke', tokenJson.id)).out).toMatch(/revoked token/);
    expect(JSON.parse((await run('--json', 'tokens', 'revoke', tokenJson.id)).out).status).toBe(
      'revoked',
    );
    expect(await run('tokens', 'revoke', 'nope')).toMatchObject({ code: 2 });

    expect((await run('audit', 'checkpoint')).out).toMatch(/signed checkpoint at seq/);
    expect((await run('audit', 'checkpoint')).out).toMatch(/already checkpointed/);
    expect(JSON.parse((await run('--json', 'audit', 'checkpoint')).out)).toEqual({
      checkpoint: null,
    });
    const verified = await run('audit', 'verify');
    expect(verified).toMatchObject({ code: 0, out: expect.stringMatching(/^ok: \d+ events/) });
    expect(verified.err).toMatch(/read \d+\/\d+ events \(100%\)/);
    const events = await createDatabase(database.url);
    try {
      const audit = await events.db
        .selectFrom('audit_events')
        .select(['actor', 'event_type'])
        .where('event_type', '=', 'user.created')
        .execute();
      expect(audit.every((e) => e.actor === 'cli:ops')).toBe(true);

      await dropAppendOnly(events.db, events.dialect, 'audit_events');
      await sql`update audit_events set actor = 'mallory' where seq = 2`.execute(events.db);
    } finally {
      await events.close();
    }
    const broken = await run('audit', 'verify');
    expect(broken).toMatchObject({
      code: 3,
      out: expect.stringContaining('FAILED at seq 2 (edited)'),
    });
    // Only seq 1 is intact; nothing may read as if the whole log verified.
    expect(broken.out).toMatch(/^1 of \d+ events verified before the break$/m);
    expect(`${broken.out}\n${broken.err}`).not.toMatch(/verified \d+\/\d+|100%.*verified/);
    expect(JSON.parse((await run('--json', 'audit', 'verify')).out)).toMatchObject({
      ok: false,
      first_bad: { seq: 2, reason: 'edited' },
    });
  });

  it('serves until stopped, printing the admin token once', async () => {
    env.CABINET_PORT = '0';
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const c = capture(env, () => stopped);
    const running = main(['serve'], c.io);
    await expect.poll(() => c.out.join('\n'), { timeout: 20_000 }).toMatch(/listening on/);
    const url = /listening on (\S+)/.exec(c.out.join('\n'))![1];
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(c.out.join('\n')).toMatch(/^admin token: cab_\S+$/m);
    stop();
    expect(await running).toBe(0);

    // A second start on the same database creates no second admin.
    let stop2: () => void = () => {};
    const c2 = capture(env, () => new Promise<void>((r) => (stop2 = r)));
    const again = main(['serve'], c2.io);
    await expect.poll(() => c2.out.join('\n'), { timeout: 20_000 }).toMatch(/listening on/);
    expect(c2.out.join('\n')).not.toMatch(/admin token/);
    stop2();
    expect(await again).toBe(0);
  });
});

describe('cabinet CLI without a database', () => {
  it('names the OS account in the audit actor when $USER is empty', () => {
    const osUser = userInfo().username;
    expect(cliContext({ USER: '', LOGNAME: '' }).actorId).toBe(`cli:${osUser}`);
    expect(cliContext({}).actorId).toBe(`cli:${osUser}`);
    expect(cliContext({ USER: '', LOGNAME: 'lee' }).actorId).toBe('cli:lee');
    expect(cliContext({ USER: 'ops' }).actorId).toBe('cli:ops');
  });

  /** Runs the real process with its stdout pipe already closed, as `cabinet … | head` leaves it. */
  const runWithClosedStdout = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...argv], {
      env: { ...process.env, CABINET_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    return { code, stderr };
  };

  it('exits quietly when the reader of its output has gone away', async () => {
    expect(await runWithClosedStdout(['--help'])).toEqual({ code: 0, stderr: '' });
    const database = await createTestDatabase('sqlite');
    try {
      const env = { CABINET_DATA_DIR: database.dataDir, CABINET_DATABASE_URL: database.url };
      expect(await runWithClosedStdout(['migrate'], env)).toEqual({ code: 0, stderr: '' });
      expect(await runWithClosedStdout(['tokens', 'list'], env)).toEqual({ code: 0, stderr: '' });
      // The command's own exit code survives: a closed pipe must not turn a failure into 0.
      const failed = await runWithClosedStdout(['tokens', 'list', '--user', 'x@y.org'], env);
      expect(failed).toEqual({ code: 2, stderr: 'error: no user with email x@y.org\n' });
    } finally {
      await database.dispose();
    }
  });

  it('stops on a bad variable with one line naming it', async () => {
    const c = capture({ CABINET_PORT: 'eighty' });
    expect(await main(['migrate'], c.io)).toBe(2);
    expect(c.err).toEqual([
      'error: CABINET_PORT: must be a whole number between 0 and 65535 (got "eighty")',
    ]);
  });

  it('prints help and rejects unknown commands', async () => {
    const help = capture({});
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toMatch(/audit/);
    const bad = capture({});
    expect(await main(['frobnicate'], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toMatch(/unknown command/);
  });

  it('reports an unreachable database as a runtime failure', async () => {
    const c = capture({
      CABINET_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      CABINET_DATA_DIR: '/tmp',
    });
    expect(await main(['users', 'list'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error: /);
  });

  it('starts as a real process, prints the token, and stops on SIGTERM', async () => {
    const database = await createTestDatabase('sqlite');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve'], {
      env: {
        ...process.env,
        CABINET_PORT: '0',
        CABINET_DATA_DIR: database.dataDir,
        CABINET_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    try {
      await expect.poll(() => output, { timeout: 30_000 }).toMatch(/listening on/);
      expect(output).toMatch(/^admin token: cab_\S+$/m);
      const url = /listening on (\S+)/.exec(output)![1];
      const token = /^admin token: (\S+)$/m.exec(output)![1];
      const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await database.dispose();
    }
  });
});
