import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  keyIdOf,
  loadOrCreateSigningKey,
  signingKeyFromPem,
  verifyEd25519,
} from './signing-key.js';

describe('signing key', () => {
  it('is generated once into the data dir with mode 0600 and then reloaded', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cabinet-key-')), 'sub', 'signing-key.pem');
    const first = loadOrCreateSigningKey(file, true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadOrCreateSigningKey(file, false);
    expect(again.keyId).toBe(first.keyId);
    expect(readFileSync(file, 'utf8')).toContain('PRIVATE KEY');
    const signature = first.sign('hello');
    expect(verifyEd25519(again.publicKeyPem, 'hello', signature)).toBe(true);
    expect(verifyEd25519(again.publicKeyPem, 'hellO', signature)).toBe(false);
    expect(verifyEd25519('not a key', 'hello', signature)).toBe(false);
    expect(keyIdOf(first.publicKeyPem)).toBe(first.keyId);
  });

  it('refuses a missing given file and a key that is not Ed25519', () => {
    expect(() => loadOrCreateSigningKey('/nonexistent/key.pem', false)).toThrow(/does not exist/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() =>
      signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ).toThrow(/must be Ed25519/);
  });
});
