import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { testTrustedRoot } from '../src/publishers/trusted-root-fixture.js';
import { capture, type ServedInProcess, serveInProcess, waitFor } from './cli-harness.js';
import { createTestDatabase, dbKinds, type TestDatabase } from './databases.js';

describe.each(dbKinds)('cabinet publishers and sigstore-roots on %s', (kind) => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let server: ServedInProcess;
  let dir: string;

  const run = async (...argv: string[]) => {
    const c = capture(env);
    const code = await main(argv, c.io);
    return { code, out: c.out.join('\n'), err: c.err.join('\n') };
  };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await serveInProcess({
      CABINET_DATA_DIR: database.dataDir,
      CABINET_DATABASE_URL: database.url,
      CABINET_LOG_LEVEL: 'silent',
      CABINET_PORT: '0',
    });
    const url = server.url;
    const token = await waitFor(() => /^admin token: (\S+)$/m.exec(server.output())?.[1]);
    env = { CABINET_URL: url, CABINET_TOKEN: token };
    dir = join(database.dataDir, 'roots');
    mkdirSync(dir);
  });

  afterAll(async () => {
    try {
      await server.stop();
    } finally {
      await database.dispose();
    }
  });

  it('adds publishers of both kinds and lists them', async () => {
    const x509 = await run(
      'publishers',
      'add',
      '--name',
      'Contoso',
      '--x509-subject',
      'O=Contoso Ltd',
    );
    expect(x509).toMatchObject({ code: 0, err: '' });
    expect(x509.out).toMatch(/^trusted publisher \S+ "Contoso" \(revision 1\)$/);
    const keyless = await run(
      '--json',
      'publishers',
      'add',
      '--name',
      'Contoso CI',
      '--san',
      'https://github.com/contoso/app/.github/workflows/release.yml@refs/tags/*',
      '--issuer',
      'https://token.actions.githubusercontent.com',
    );
    expect(keyless.code).toBe(0);
    expect(JSON.parse(keyless.out)).toMatchObject({
      name: 'Contoso CI',
      x509_subject: null,
      sigstore_identity: { issuer: 'https://token.actions.githubusercontent.com' },
    });

    const listed = await run('publishers', 'list');
    expect(listed.code).toBe(0);
    const lines = listed.out.split('\n');
    expect(lines[0]).toMatch(/^id +name +revision +x509_subject +sigstore_identity +removed_at$/);
    expect(lines[1]).toMatch(/Contoso +1 +O=Contoso Ltd +- +-$/);
    expect(lines[2]).toContain(
      'https://github.com/contoso/app/.github/workflows/release.yml@refs/tags/* @ https://token.actions.githubusercontent.com',
    );
    expect(JSON.parse((await run('--json', 'publishers', 'list')).out)).toHaveLength(2);

    const id = JSON.parse(keyless.out).id as string;
    expect((await run('publishers', 'remove', id)).out).toBe(
      `removed trusted publisher ${id} "Contoso CI"`,
    );
    expect(JSON.parse((await run('--json', 'publishers', 'list')).out)).toHaveLength(1);
    expect(JSON.parse((await run('--json', 'publishers', 'list', '--all')).out)).toHaveLength(2);
  });

  it('says what is wrong with a publisher, on stderr, with exit 2', async () => {
    const glob = await run(
      'publishers',
      'add',
      '--name',
      'Bad',
      '--san',
      'https://github.com/*/x',
      '--issuer',
      'https://token.actions.githubusercontent.com',
    );
    expect(glob.code).toBe(2);
    expect(glob.err).toMatch(/^error: 400: /);
    expect(glob.err).toMatch(
      /\/sigstore_identity\/san: "\*" is allowed only as the last character/,
    );
    const half = await run('publishers', 'add', '--name', 'Half', '--san', 'x');
    expect(half).toMatchObject({
      code: 2,
      err: 'error: --san and --issuer go together: a keyless identity needs both.',
    });
  });

  it('adds a trusted_root.json from a file and lists it', async () => {
    const file = join(dir, 'test-instance.json');
    writeFileSync(file, JSON.stringify(testTrustedRoot('cli.test'), null, 2));
    const added = await run('sigstore-roots', 'add', file);
    expect(added).toMatchObject({ code: 0, err: '' });
    expect(added.out).toMatch(
      /^sigstore root \S+ "test-instance" sha256 [0-9a-f]{64}: 1 CA, 1 tlog, 1 ctlog, 0 TSA$/,
    );
    const listed = await run('sigstore-roots', 'list');
    expect(listed.out).toMatch(
      /test-instance +[0-9a-f]{64} +https:\/\/rekor\.cli\.test +https:\/\/fulcio\.cli\.test +-/,
    );
    const named = await run(
      '--json',
      'sigstore-roots',
      'add',
      '--name',
      'Second',
      (() => {
        const other = join(dir, 'other.json');
        writeFileSync(other, JSON.stringify(testTrustedRoot('two.test')));
        return other;
      })(),
    );
    expect(JSON.parse(named.out).name).toBe('Second');
    expect(JSON.parse((await run('--json', 'sigstore-roots', 'list')).out)).toHaveLength(2);
  });

  it('refuses a file that is not a trusted root, and one that is not there', async () => {
    const wrong = join(dir, 'bundle.json');
    writeFileSync(
      wrong,
      JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }),
    );
    const refused = await run('sigstore-roots', 'add', wrong);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/\/trusted_root\/mediaType: unsupported media type/);
    const missing = await run('sigstore-roots', 'add', join(dir, 'nope.json'));
    expect(missing).toMatchObject({
      code: 2,
      err: `error: cannot read ${join(dir, 'nope.json')}: no such file`,
    });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"mediaType":');
    expect((await run('sigstore-roots', 'add', broken)).err).toMatch(/is not valid JSON/);
  });
});
