import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURVES, type CurveName, parseDerSignature, verifyEcdsaDigest } from './ecdsa.js';

const NODE_CURVE: Record<CurveName, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' };

function keyPair(curve: CurveName) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: NODE_CURVE[curve] });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = { x: Buffer.from(jwk.x!, 'base64url'), y: Buffer.from(jwk.y!, 'base64url') };
  return { privateKey, point };
}

const keys = { 'P-256': keyPair('P-256'), 'P-384': keyPair('P-384') };

function digestOf(hash: string, message: Uint8Array): Buffer {
  return createHash(hash).update(message).digest();
}

function integerBytes(value: bigint): number[] {
  const hex = value.toString(16).padStart(2, '0');
  const bytes = [...Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')];
  return bytes[0]! & 0x80 ? [0, ...bytes] : bytes;
}

/** Minimal DER `SEQUENCE { INTEGER r, INTEGER s }`. */
function der(r: bigint, s: bigint): Buffer {
  const body = [r, s].flatMap((v) => {
    const bytes = integerBytes(v);
    return [0x02, bytes.length, ...bytes];
  });
  return Buffer.from([0x30, body.length, ...body]);
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

describe('verifyEcdsaDigest against signatures made by Node/OpenSSL', () => {
  const cases: Array<[CurveName, string]> = [
    ['P-256', 'sha256'],
    ['P-384', 'sha256'],
    ['P-384', 'sha384'],
    // Digests longer than the order are truncated to its bit length (SEC 1 §4.1.4 step 5).
    ['P-256', 'sha384'],
    ['P-384', 'sha512'],
  ];

  it.each(cases)('%s over a %s digest: valid verifies, any bit flip does not', (curve, hash) => {
    const { privateKey, point } = keys[curve];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (message, flip) => {
        const signature = sign(hash, message, privateKey as KeyObject);
        const digest = digestOf(hash, message);
        expect(verifyEcdsaDigest(curve, point, digest, signature)).toBe(true);
        // Only the leading bits of a digest longer than the order count, so flip one of those.
        const significant = Math.min(digest.length, CURVES[curve].bits / 8);
        const badDigest = Buffer.from(digest);
        badDigest[flip % significant]! ^= 1 << (flip % 8);
        expect(verifyEcdsaDigest(curve, point, badDigest, signature)).toBe(false);
        const badSignature = Buffer.from(signature);
        badSignature[badSignature.length - 1 - (flip % 8)]! ^= 0x01;
        expect(verifyEcdsaDigest(curve, point, digest, badSignature)).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a signature by another key', () => {
    const digest = digestOf('sha256', Buffer.from('m'));
    const signature = sign('sha256', Buffer.from('m'), keyPair('P-256').privateKey);
    expect(verifyEcdsaDigest('P-256', keys['P-256'].point, digest, signature)).toBe(false);
  });

  it('refuses a signature that is not DER, and an empty digest, without throwing', () => {
    const { privateKey, point } = keys['P-256'];
    const signature = sign('sha256', Buffer.from('m'), privateKey);
    expect(
      verifyEcdsaDigest('P-256', point, digestOf('sha256', Buffer.from('m')), Buffer.from('xyz')),
    ).toBe(false);
    expect(verifyEcdsaDigest('P-256', point, new Uint8Array(0), signature)).toBe(false);
  });

  it('refuses r or s outside [1, n − 1]', () => {
    const { n } = CURVES['P-256'];
    const digest = digestOf('sha256', Buffer.from('m'));
    const { point } = keys['P-256'];
    for (const [r, s] of [
      [0n, 1n],
      [n, 1n],
      [1n, 0n],
      [1n, n],
    ] as const) {
      expect(verifyEcdsaDigest('P-256', point, digest, der(r, s))).toBe(false);
    }
  });
});

describe('verifyEcdsaDigest on degenerate keys (the addition special cases)', () => {
  const curve = CURVES['P-256'];
  const g = {
    x: Buffer.from(curve.gx.toString(16), 'hex'),
    y: Buffer.from(curve.gy.toString(16).padStart(64, '0'), 'hex'),
  };
  const minusG = {
    x: g.x,
    y: Buffer.from((curve.p - curve.gy).toString(16).padStart(64, '0'), 'hex'),
  };
  const digest = digestOf('sha256', Buffer.from('degenerate'));
  const e = toBigInt(digest) % curve.n;

  it('doubles when the running sum meets the same point (Q = G, u1 = u2)', () => {
    // r = e makes u1 = u2, so the first step adds G to G.
    expect(typeof verifyEcdsaDigest('P-256', g, digest, der(e, 12345n))).toBe('boolean');
  });

  it('reaches infinity when adding a point to its inverse (Q = −G, u1 = u2)', () => {
    expect(verifyEcdsaDigest('P-256', minusG, digest, der(e, 12345n))).toBe(false);
  });

  it('refuses a signature whose u1·G + u2·Q is the point at infinity', () => {
    // With Q = G, u1 + u2 = (e + r)/s, which is 0 when r = n − e.
    expect(verifyEcdsaDigest('P-256', g, digest, der(curve.n - e, 777n))).toBe(false);
  });
});

describe('parseDerSignature', () => {
  it('reads r and s', () => {
    expect(parseDerSignature(der(5n, 0x80n))).toEqual({ r: 5n, s: 0x80n });
  });

  it.each([
    ['too short', [0x30, 0x03, 0x02, 0x01, 0x01]],
    ['not a SEQUENCE', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['wrong outer length', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['not an INTEGER', [0x30, 0x06, 0x04, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['empty INTEGER', [0x30, 0x06, 0x02, 0x00, 0x02, 0x02, 0x01, 0x01]],
    ['long-form length', [0x30, 0x06, 0x02, 0x81, 0x01, 0x02, 0x01, 0x01]],
    ['truncated INTEGER', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x05, 0x01]],
    ['negative INTEGER', [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]],
    ['redundant leading zero', [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]],
    ['one INTEGER', [0x30, 0x06, 0x02, 0x04, 0x01, 0x02, 0x03, 0x04]],
    ['three INTEGERs', [0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['dangling tag', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02]],
  ])('refuses %s', (_name, bytes) => {
    expect(parseDerSignature(Buffer.from(bytes))).toBeUndefined();
  });
});
