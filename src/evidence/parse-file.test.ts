import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCycloneDx } from '../../bench/generators/cyclonedx.js';
import { generateSpdx } from '../../bench/generators/spdx.js';
import { type DocumentKind, type ParseOptions, parseDocumentEvidence } from './parse-evidence.js';
import { parseDocumentInput } from './parse-file.js';

const corpus = resolve(process.cwd(), '../shared/corpus');

function outcome(run: () => unknown) {
  try {
    return { value: run() };
  } catch (error) {
    return { error };
  }
}

describe('parseDocumentInput on a staged file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-parse-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;

  /** Expects the staged file to be answered as the bytes are. */
  function expectSameAsBytes(kind: DocumentKind, bytes: Buffer, options: ParseOptions = {}) {
    const path = join(dir, `document-${files++}.json`);
    writeFileSync(path, bytes);
    const staged = outcome(() => parseDocumentInput(kind, { path, size: bytes.length }, options));
    expect(staged).toEqual(outcome(() => parseDocumentEvidence(kind, bytes, options)));
    return staged;
  }

  const spdx = Buffer.from(generateSpdx(300, 4));
  const cyclonedx = Buffer.from(generateCycloneDx(300, 4));

  it.each([
    ['SPDX', spdx, {}],
    ['SPDX with format=spdx', spdx, { format: 'spdx' }],
    ['SPDX with format=cyclonedx', spdx, { format: 'cyclonedx' }],
    ['CycloneDX', cyclonedx, {}],
    ['CycloneDX with format=cyclonedx', cyclonedx, { format: 'cyclonedx' }],
    ['CycloneDX with format=spdx', cyclonedx, { format: 'spdx' }],
    ['an SBOM with an unknown format=', spdx, { format: 'trivy' }],
  ])('answers for %s as for its bytes', (_, bytes, options) => {
    expectSameAsBytes('sbom', bytes, options);
  });

  it('answers for an attestation and a non-SBOM document as for their bytes', () => {
    const attestation = readFileSync(
      join(corpus, 'sbom/cyclonedx/trivy-centos-7.cdx.intoto.jsonl'),
    );
    expect(expectSameAsBytes('sbom', attestation)).toHaveProperty('value');
    const vex = readFileSync(join(corpus, 'vex/cisa-case-2.vex.cdx.json'));
    expect(expectSameAsBytes('vex', vex)).toHaveProperty('value');
  });
});
