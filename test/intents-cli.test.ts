import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { createDatabase } from '../src/platform/db/database.js';
import { capture, type ServedInProcess, serveInProcess } from './cli-harness.js';
import { createTestDatabase, dbKinds, type TestDatabase } from './databases.js';

function intentBody(artifactSha256: string, appVersion = '24.08') {
  return {
    app_name: '7-Zip',
    app_version: appVersion,
    plane: 'intune',
    artifact_sha256: artifactSha256,
    install_command: '7z2408-x64.exe /S',
    uninstall_command: '"C:\\Program Files\\7-Zip\\Uninstall.exe" /S',
    detection_method: 'registry',
    detection_query: 'HKLM\\SOFTWARE\\7-Zip:Path',
    rollout_plan: {
      rings: [
        {
          name: 'ring0',
          target_group: 'IT-Lab',
          size: 25,
          start_offset_hours: 0,
          duration_hours: 48,
          exclusions: [],
        },
      ],
    },
    rollback_plan: { strategy: 'uninstall' },
    justification: 'Security update',
  };
}

describe.each(dbKinds)('cabinet intent commands on %s', (kind) => {
  let database: TestDatabase;
  let serverEnv: NodeJS.ProcessEnv;
  let env: NodeJS.ProcessEnv;
  let server: ServedInProcess;
  let dir: string;
  let sha: string;

  const run = async (...argv: string[]) => {
    const c = capture(env);
    const code = await main(argv, c.io);
    return { code, out: c.out.join('\n'), err: c.err.join('\n'), errLines: c.err };
  };
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    serverEnv = {
      CABINET_DATA_DIR: database.dataDir,
      CABINET_DATABASE_URL: database.url,
      CABINET_LOG_LEVEL: 'silent',
      CABINET_PORT: '0',
      USER: 'ops',
    };
    server = await serveInProcess(serverEnv);
    const url = server.url;

    // A submitter and their token, made with the local admin commands on the same database.
    env = { ...serverEnv };
    const user = JSON.parse(
      (
        await run(
          '--json',
          'users',
          'create',
          '--email',
          'rel@example.org',
          '--name',
          'Rel',
          '--roles',
          'submitter',
        )
      ).out,
    );
    const token = JSON.parse((await run('--json', 'tokens', 'create', '--user', user.id)).out);
    env = { CABINET_URL: url, CABINET_TOKEN: token.token };

    sha = createHash('sha256').update(randomBytes(8)).digest('hex');
    const db = createDatabase(database.url);
    try {
      await db.db
        .insertInto('artifacts')
        .values({
          sha256: sha,
          size_bytes: 1_573_888,
          publisher: 'Igor Pavlov',
          filename: '7z2408-x64.exe',
          build_time: null,
          content_stored: false,
          created_by: user.id,
          created_at: new Date().toISOString(),
        })
        .execute();
    } finally {
      await db.close();
    }
    dir = join(database.dataDir, 'intents');
    mkdirSync(dir);
  });

  afterAll(async () => {
    try {
      await server.stop();
    } finally {
      await database.dispose();
    }
  });

  it('creates an intent from a file and shows and lists it', async () => {
    const created = await run(
      'intent',
      'create',
      '--file',
      file('intent.json', JSON.stringify(intentBody(sha))),
    );
    expect(created).toMatchObject({ code: 0, err: '' });
    const id = /^created intent (\S+) \(draft\)$/.exec(created.out)?.[1];
    expect(id).toBeTruthy();

    const asJson = await run(
      '--json',
      'intent',
      'create',
      '--file',
      file('v2.json', JSON.stringify(intentBody(sha, '24.09'))),
    );
    expect(asJson.code).toBe(0);
    const second = JSON.parse(asJson.out);
    expect(second).toMatchObject({
      status: 'draft',
      app_version: '24.09',
      artifact: { sha256: sha },
    });

    const shown = await run('intent', 'show', id!);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(new RegExp(`^intent ${id} \\(draft, revision 1\\)$`, 'm'));
    expect(shown.out).toMatch(/app: +7-Zip 24\.08 on intune/);
    expect(shown.out).toMatch(/detection: +registry HKLM\\SOFTWARE\\7-Zip:Path/);
    expect(shown.out).toMatch(/rings: +ring0 \(IT-Lab, 25, \+0h\)/);
    expect(JSON.parse((await run('--json', 'intent', 'show', id!)).out).id).toBe(id);

    const listed = await run('intent', 'list', '--status', 'draft');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^id\s+status\s+app_name/);
    expect(listed.out).toContain(id);
    // One intent per page: the command follows the cursor through every page.
    const paged = JSON.parse(
      (await run('--json', 'intent', 'list', '--app-name', '7-Zip', '--page-size', '1')).out,
    );
    expect(paged.map((i: { id: string }) => i.id)).toEqual([id, second.id]);
    expect((await run('intent', 'list', '--status', 'approved')).out).toBe('(none)');
    expect(
      JSON.parse(
        (await run('--json', 'intent', 'list', '--plane', 'jamf', '--created-by', 'x')).out,
      ),
    ).toEqual([]);
  });

  it('says in one line why a file cannot be used, exit 2', async () => {
    const missing = await run('intent', 'create', '--file', join(dir, 'absent.json'));
    expect(missing.code).toBe(2);
    expect(missing.errLines).toEqual([
      `error: cannot read ${join(dir, 'absent.json')}: no such file`,
    ]);

    const broken = await run('intent', 'create', '--file', file('broken.json', '{"app_name": '));
    expect(broken.code).toBe(2);
    expect(broken.errLines).toHaveLength(1);
    expect(broken.err).toMatch(/^error: .*broken\.json is not valid JSON: /);

    const folder = await run('intent', 'create', '--file', dir);
    expect(folder.code).toBe(2);
    expect(folder.errLines).toHaveLength(1);
    expect(folder.err).toMatch(/^error: cannot read .*EISDIR/);

    expect((await run('intent', 'create')).code).toBe(2);
  });

  it('reports the server’s refusal with the path of each problem, exit 2', async () => {
    const unknown = createHash('sha256').update('unknown').digest('hex');
    const refused = await run(
      'intent',
      'create',
      '--file',
      file('unknown.json', JSON.stringify(intentBody(unknown))),
    );
    expect(refused.code).toBe(2);
    expect(refused.errLines[0]).toMatch(/^error: 422: /);
    expect(refused.err).toMatch(/\/artifact_sha256: no artifact .*\(POST \/api\/v1\/artifacts/);

    const absent = await run('intent', 'show', 'nope');
    expect(absent).toMatchObject({ code: 2, err: expect.stringContaining('404') });
    expect((await run('intent', 'list', '--status', 'pending')).code).toBe(2);
  });

  it('needs CABINET_TOKEN', async () => {
    const c = capture({ CABINET_URL: env.CABINET_URL });
    expect(await main(['intent', 'list'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/CABINET_TOKEN is not set/);
  });
});
