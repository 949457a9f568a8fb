import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticodeTestKit, windowsBinary } from '../src/artifacts/authenticode/test-signing.js';
import { main } from '../src/cli/main.js';
import { progressLine } from '../src/cli/progress.js';
import { capture } from './cli-harness.js';
import { dbKinds } from './databases.js';
import { corpusFiles, exampleIntent, sha256 } from './intake-fixtures.js';
import { startTestApp, type TestApp } from './test-app.js';

describe.each(dbKinds)('cabinet artifact and evidence commands on %s', (kind) => {
  let t: TestApp;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    const submitter = await t.user(['submitter']);
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    env = { CABINET_URL: url, CABINET_TOKEN: submitter.token };
    dir = mkdtempSync(join(tmpdir(), 'cabinet-cli-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...argv: string[]) => {
    const { io, out, err } = capture(env);
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err };
  };

  it('prints the verdict on a signed Windows binary the upload found inside it', async () => {
    const kit = new AuthenticodeTestKit();
    try {
      const file = join(dir, '7za-signed.exe');
      writeFileSync(file, kit.sign(windowsBinary('ia32')));
      const uploaded = await run('artifact', 'upload', file, '--publisher', 'Igor Pavlov');
      expect(uploaded.code, uploaded.err.join('\n')).toBe(0);
      const lines = uploaded.out.split('\n');
      expect(lines[1]).toBe('Authenticode (PE): invalid');
      expect(lines[2]).toMatch(
        /^ {2}signature \(sha256\) by CN=Acme Windows Publisher, O=Acme Corp, judged at \S+ — no_trust_anchors: /,
      );
    } finally {
      kit.remove();
    }
  });

  it('uploads an artifact and evidence with progress, and lists the evidence', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const artifactFile = join(dir, 'setup.exe');
    writeFileSync(artifactFile, bytes);
    const uploaded = await run(
      'artifact',
      'upload',
      artifactFile,
      '--publisher',
      'Acme',
      '--build-time',
      '2026-10-01T00:00:00Z',
    );
    expect(uploaded.code, uploaded.err.join('\n')).toBe(0);
    expect(uploaded.out).toBe(`artifact ${sha256(bytes)} (${bytes.length} bytes, setup.exe)`);
    expect(uploaded.err.length).toBeGreaterThanOrEqual(5);
    expect(uploaded.err.at(-1)).toMatch(/^setup\.exe \[#{20}\] 100% 3\.0 MiB\/3\.0 MiB$/);

    const registered = await run(
      '--json',
      'artifact',
      'register',
      '--sha256',
      'b'.repeat(64),
      '--size',
      '10',
      '--publisher',
      'Acme',
      '--filename',
      'remote.pkg',
      '--build-time',
      '2026-01-01T00:00:00Z',
    );
    expect(JSON.parse(registered.out)).toMatchObject({
      content_stored: false,
      filename: 'remote.pkg',
    });
    const plain = await run(
      'artifact',
      'register',
      '--sha256',
      'c'.repeat(64),
      '--size',
      '1',
      '--publisher',
      'A',
      '--filename',
      'x',
    );
    expect(plain.out).toMatch(/registered \(x\)/);

    const intent = await t.call({
      method: 'POST',
      url: '/api/v1/intents',
      payload: exampleIntent(sha256(bytes)),
      headers: { authorization: `Bearer ${env.CABINET_TOKEN}` },
      as: null,
    });
    const intentId = intent.json().id as string;
    const sbom = corpusFiles('sbom/cyclonedx').find((f) =>
      f.endsWith('proton-bridge-1.8.0.cdx.json'),
    )!;
    const added = await run('evidence', 'add', intentId, sbom, '--kind', 'sbom');
    expect(added.code, added.err.join('\n')).toBe(0);
    expect(added.out).toMatch(/^evidence \S+: sbom \(cyclonedx 1\.\d\)/);
    expect(added.out).toMatch(/component_count: \d+/);
    expect(added.err.at(-1)).toMatch(/100%/);

    const json = await run(
      '--json',
      'evidence',
      'add',
      intentId,
      sbom,
      '--kind',
      'sbom',
      '--format',
      'cyclonedx',
    );
    expect(JSON.parse(json.out).kind).toBe('sbom');
    const listed = await run('evidence', 'list', intentId);
    expect(listed.out.split('\n')).toHaveLength(3);
    expect(JSON.parse((await run('--json', 'evidence', 'list', intentId)).out)).toHaveLength(2);

    const refused = await run('evidence', 'add', intentId, sbom, '--kind', 'vuln_scan');
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toMatch(/^error: 422: /m);
    const missing = await run(
      'evidence',
      'add',
      intentId,
      join(dir, 'nope.json'),
      '--kind',
      'sbom',
    );
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err.join('\n')).toMatch(/cannot read/);
    const directory = await run('artifact', 'upload', dir, '--publisher', 'Acme');
    expect(directory.err.join('\n')).toMatch(/is not a file/);
  });

  it('needs a token and a reachable server', async () => {
    const saved = env;
    env = { CABINET_URL: saved.CABINET_URL };
    expect((await run('evidence', 'list', 'x')).err.join('\n')).toMatch(/CABINET_TOKEN is not set/);
    env = { CABINET_URL: 'http://127.0.0.1:9', CABINET_TOKEN: 'x' };
    const unreachable = await run('evidence', 'list', 'x');
    expect(unreachable.code).toBe(1);
    expect(unreachable.err.join('\n')).toMatch(/cannot reach/);
    env = saved;
  });
});

describe('progress display', () => {
  it('draws a bar in KiB or MiB', () => {
    expect(progressLine('f', 512, 2048)).toBe('f [#####---------------] 25% 0.5 KiB/2.0 KiB');
    expect(progressLine('f', 0, 0)).toBe('f [####################] 100% 0.0 KiB/0.0 KiB');
  });
});
