/**
 * Which keys the verifier trusts. The bundle carries its own public key for convenience, but a
 * bundle can carry any key: only a key the person verifying supplied (from `GET /api/v1/keys`
 * or a copy they hold) says who signed. A swapped key or another server's pack fails here.
 */
import { createPublicKey } from 'node:crypto';
import { keyIdOf } from '../platform/crypto/signing-key.js';
import type { ParsedPublicKey } from './bundle-schema.js';
import type { CheckList, TrustedKey } from './bundle-types.js';

export interface ResolvedKey {
  keyId: string;
  pem: string;
}

/** The key id of an Ed25519 PEM public key, or null when it is not one. */
export function ed25519KeyId(pem: string): string | null {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'ed25519' ? keyIdOf(key) : null;
  } catch {
    return null;
  }
}

/** The usable trusted keys; an unusable one is reported under `key` and left out. */
export function resolveTrustedKeys(keys: readonly TrustedKey[], checks: CheckList): ResolvedKey[] {
  const resolved: ResolvedKey[] = [];
  keys.forEach((key, i) => {
    const keyId = ed25519KeyId(key.pem);
    if (keyId === null) {
      checks.fail('key', `trusted key ${i + 1} cannot be read as an Ed25519 public key`);
    } else if (key.key_id !== undefined && key.key_id !== keyId) {
      checks.fail(
        'key',
        `trusted key ${i + 1} is labelled ${key.key_id} but its PEM is key ${keyId}`,
      );
    } else {
      resolved.push({ keyId, pem: key.pem });
    }
  });
  if (keys.length === 0) {
    checks.fail('key', 'no trusted key was given: there is nothing to check the signer against');
  }
  return resolved;
}

export function checkEmbeddedKey(
  embedded: ParsedPublicKey,
  trusted: readonly ResolvedKey[],
  checks: CheckList,
): void {
  const keyId = ed25519KeyId(embedded.pem);
  if (keyId === null) {
    checks.fail('key', 'the embedded public key cannot be read as an Ed25519 public key');
    return;
  }
  let ok = true;
  if (embedded.key_id !== keyId) {
    ok = false;
    checks.fail(
      'key',
      `the embedded key_id ${embedded.key_id} is not the id of the embedded public key (${keyId})`,
    );
  }
  if (!trusted.some((k) => k.keyId === keyId)) {
    ok = false;
    const yours = trusted.map((k) => k.keyId).join(', ') || 'none';
    checks.fail(
      'key',
      `the bundle is signed by key ${keyId}, not by a key you trust (trusted: ${yours})`,
    );
  }
  if (ok) checks.pass('key', `the bundle's key ${keyId} is a key you trust`);
}
