import { describe, expect, it } from 'vitest';
import * as signatures from './index.js';

describe('public API of src/evidence/signatures', () => {
  it('exports the verification entry points', () => {
    expect(Object.keys(signatures).sort()).toEqual([
      'describeTrustAnchor',
      'parseSignatureUpload',
      'parseSigstoreTrustedRoot',
      'verifyDetachedSignature',
      'verifySigstoreBundle',
    ]);
  });
});
