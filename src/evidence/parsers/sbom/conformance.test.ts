import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseSbom } from './index.js';

const conformance = path.resolve(process.cwd(), '../shared/corpus/conformance/cyclonedx');

function rejection(bytes: Uint8Array): InvalidDocumentError {
  try {
    parseSbom(bytes);
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('the document was accepted');
}

describe('CycloneDX specification conformance files', () => {
  const versions = readdirSync(conformance);

  it('finds the conformance folders', () => {
    expect(versions).toEqual(expect.arrayContaining(['1.4', '1.5']));
  });

  for (const version of versions) {
    for (const name of readdirSync(path.join(conformance, version))) {
      const bytes = readFileSync(path.join(conformance, version, name));
      if (name.startsWith('valid-')) {
        it(`accepts ${version}/${name}`, () => {
          const parsed = parseSbom(bytes);
          expect(parsed.format).toBe('cyclonedx');
          expect(parsed.spec_version).toBe(version);
        });
      } else if (name.startsWith('invalid-')) {
        it(`rejects ${version}/${name} with a located error`, () => {
          const error = rejection(bytes);
          expect(error.errors.length).toBeGreaterThan(0);
          const [first] = error.errors;
          expect(first?.path).toMatch(/^\/\S+/);
          expect(first?.message).not.toBe('');
          expect(error.message).toContain(first?.path);
        });
      }
    }
  }
});
