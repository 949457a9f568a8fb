import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { intentFields, STANDARD_RINGS } from '../src/demo/intent-fields.js';
import type { IntentFields } from '../src/intents/intent-rules.js';
import type { TestApp, TestUser } from './test-app.js';

/** The shared corpus, beside the repository (CI copies it there too). */
export const CORPUS = path.resolve(process.cwd(), '../shared/corpus');

export function corpusFiles(sub: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? walk(full) : [full];
      });
  return walk(path.join(CORPUS, sub));
}

export const readCorpus = (file: string): Buffer => readFileSync(file);

/** The corpus document of `sub` whose name ends with `name`. */
export const corpusDocument = (sub: string, name: string): Buffer =>
  readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);

/** A lab test result that passes every lab rule (JSON test-result format). */
export const PASSING_LAB_TESTS = JSON.stringify({
  stage: 'lab',
  total: 5,
  passed: 5,
  failed: 0,
  skipped: 0,
  coverage_percent: 91,
});

export const sha256 = (bytes: Buffer | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/** DESIGN.md's example intent, for an artifact given by digest: the one copy tests share. */
export function exampleIntent(artifactSha256: string): IntentFields {
  return intentFields(
    {
      name: '7-Zip',
      version: '24.08',
      previous: '23.01',
      plane: 'intune',
      file: '7z2408-x64.exe',
      justification: 'Security update',
      detection_query: 'HKLM\\SOFTWARE\\7-Zip:Path',
      rings: STANDARD_RINGS.slice(0, 2),
    },
    artifactSha256,
  );
}

/** Uploads a fresh random artifact and creates an intent for it; returns both. */
export async function createIntent(
  t: TestApp,
  as: TestUser,
  bytes: Buffer = randomBytes(4096),
): Promise<{ intentId: string; artifactSha256: string; artifact: Buffer }> {
  const uploaded = await t.call({
    method: 'POST',
    url: '/api/v1/artifacts?filename=7z2408-x64.exe&publisher=Igor%20Pavlov',
    payload: bytes,
    headers: { 'content-type': 'application/octet-stream' },
    as,
  });
  if (uploaded.statusCode >= 300) throw new Error(`artifact upload: ${uploaded.body}`);
  const artifactSha256 = uploaded.json<{ sha256: string }>().sha256;
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/intents',
    payload: exampleIntent(artifactSha256),
    as,
  });
  if (created.statusCode !== 201) throw new Error(`intent create: ${created.body}`);
  return { intentId: created.json<{ id: string }>().id, artifactSha256, artifact: bytes };
}

export function addEvidence(
  t: TestApp,
  as: TestUser,
  intentId: string,
  query: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
) {
  return t.call({
    method: 'POST',
    url: `/api/v1/intents/${intentId}/evidence?${query}`,
    payload: body,
    headers: { 'content-type': 'application/octet-stream', ...headers },
    as,
  });
}
