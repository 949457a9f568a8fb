import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The server's Ed25519 key: signs audit checkpoints (and later packs and attestations). */
export interface SigningKey {
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(message: Uint8Array | string): string;
}

export function signingKeyFromPem(privatePem: string): SigningKey {
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the signing key must be Ed25519, not ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem,
    sign: (message) => sign(null, toBytes(message), privateKey).toString('base64'),
  };
}

/** Loads the key from `file`, creating it (mode 0600) when `create` is set and it is absent. */
export function loadOrCreateSigningKey(file: string, create: boolean): SigningKey {
  if (!existsSync(file)) {
    if (!create) {
      throw new Error(`signing key file ${file} does not exist`);
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      mode: 0o600,
    });
    chmodSync(file, 0o600);
  }
  return signingKeyFromPem(readFileSync(file, 'utf8'));
}

/** Key id: SHA-256 (hex) of the public key's DER SubjectPublicKeyInfo. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function verifyEd25519(
  publicKeyPem: string,
  message: Uint8Array | string,
  signatureB64: string,
): boolean {
  try {
    return verify(
      null,
      toBytes(message),
      createPublicKey(publicKeyPem),
      Buffer.from(signatureB64, 'base64'),
    );
  } catch {
    return false;
  }
}

function toBytes(message: Uint8Array | string): Uint8Array {
  return typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
}
