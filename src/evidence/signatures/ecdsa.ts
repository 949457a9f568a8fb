/**
 * ECDSA verification of a signature over a digest we already hold (a "prehashed" message).
 *
 * Why hand-written: a Sigstore message-signature bundle signs the artifact bytes, and cabinet
 * may only know the artifact's SHA-256. ECDSA signs H(m), so the digest is enough in theory,
 * but Node 20 exposes no raw ECDSA verify: `crypto.verify(null, digest, ecKey, sig)` hashes
 * `digest` again with the key's default SHA-256 (tested in prehashed.test.ts), and WebCrypto
 * always hashes too. The math below is the textbook verification of SEC 1 §4.1.4 on public
 * data only, so constant-time concerns do not apply. It is cross-checked against signatures
 * made by Node/OpenSSL in ecdsa.test.ts.
 */

interface Curve {
  /** Field prime. */
  p: bigint;
  /** Coefficient a of y² = x³ + ax + b. */
  a: bigint;
  b: bigint;
  /** Group order. */
  n: bigint;
  gx: bigint;
  gy: bigint;
  /** Bit length of n, used to truncate digests longer than the order (SEC 1 §4.1.4 step 5). */
  bits: number;
}

const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P384_P =
  0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn;

/** Parameters from SEC 2 / FIPS 186-4, matching `openssl ecparam -param_enc explicit -text`. */
export const CURVES = {
  'P-256': {
    p: P256_P,
    a: P256_P - 3n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bits: 256,
  },
  'P-384': {
    p: P384_P,
    a: P384_P - 3n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bits: 384,
  },
} satisfies Record<string, Curve>;

export type CurveName = keyof typeof CURVES;

/** Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity. */
interface JacobianPoint {
  x: bigint;
  y: bigint;
  z: bigint;
}

interface AffinePoint {
  x: bigint;
  y: bigint;
}

const INFINITY: JacobianPoint = { x: 1n, y: 1n, z: 0n };

function mod(value: bigint, m: bigint): bigint {
  const r = value % m;
  return r < 0n ? r + m : r;
}

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Inverse modulo a prime (Fermat): both p and n of the NIST curves are prime. */
function modInverse(value: bigint, prime: bigint): bigint {
  return modPow(value, prime - 2n, prime);
}

function double(point: JacobianPoint, curve: Curve): JacobianPoint {
  const { p, a } = curve;
  if (point.z === 0n || point.y === 0n) return INFINITY;
  const y2 = mod(point.y * point.y, p);
  const s = mod(4n * point.x * y2, p);
  const z2 = mod(point.z * point.z, p);
  const m = mod(3n * point.x * point.x + a * z2 * z2, p);
  const x3 = mod(m * m - 2n * s, p);
  const y3 = mod(m * (s - x3) - 8n * y2 * y2, p);
  const z3 = mod(2n * point.y * point.z, p);
  return { x: x3, y: y3, z: z3 };
}

/**
 * Mixed addition: `right` is always affine (G or the public key Q), which saves work and
 * leaves only the running sum able to be the point at infinity.
 */
function addAffine(left: JacobianPoint, right: AffinePoint, curve: Curve): JacobianPoint {
  const { p } = curve;
  if (left.z === 0n) return { x: right.x, y: right.y, z: 1n };
  const z1z1 = mod(left.z * left.z, p);
  const u2 = mod(right.x * z1z1, p);
  const s2 = mod(right.y * left.z * z1z1, p);
  if (left.x === u2) {
    // Same x: either the same point (double it) or inverses (their sum is infinity).
    return left.y === s2 ? double(left, curve) : INFINITY;
  }
  const h = mod(u2 - left.x, p);
  const r = mod(s2 - left.y, p);
  const h2 = mod(h * h, p);
  const h3 = mod(h * h2, p);
  const u1h2 = mod(left.x * h2, p);
  const x3 = mod(r * r - h3 - 2n * u1h2, p);
  const y3 = mod(r * (u1h2 - x3) - left.y * h3, p);
  const z3 = mod(h * left.z, p);
  return { x: x3, y: y3, z: z3 };
}

/** u1·G + u2·Q in one double-and-add pass (Shamir's trick). */
function twoScalarMultiply(
  u1: bigint,
  g: AffinePoint,
  u2: bigint,
  q: AffinePoint,
  curve: Curve,
): JacobianPoint {
  let result = INFINITY;
  const top = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let bit = top - 1; bit >= 0; bit--) {
    result = double(result, curve);
    const mask = 1n << BigInt(bit);
    if (u1 & mask) result = addAffine(result, g, curve);
    if (u2 & mask) result = addAffine(result, q, curve);
  }
  return result;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/**
 * Reads the DER `SEQUENCE { INTEGER r, INTEGER s }` of an ECDSA signature. Only the short
 * length form is needed: a P-384 signature is at most 104 bytes. Anything else → undefined.
 */
export function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const integers: bigint[] = [];
  let offset = 2;
  while (offset < der.length) {
    const tag = der[offset];
    const length = der[offset + 1];
    if (tag !== 0x02 || length === undefined || length === 0 || length > 0x7f) return undefined;
    const value = der.subarray(offset + 2, offset + 2 + length);
    if (value.length !== length) return undefined;
    // DER forbids a negative integer here and a redundant leading zero byte.
    if ((value[0]! & 0x80) !== 0) return undefined;
    if (value.length > 1 && value[0] === 0 && (value[1]! & 0x80) === 0) return undefined;
    integers.push(bytesToBigInt(value));
    offset += 2 + length;
  }
  if (integers.length !== 2) return undefined;
  return { r: integers[0]!, s: integers[1]! };
}

/**
 * True when `signature` (DER) is a valid ECDSA signature by the public point (x, y) on
 * `curveName` over `digest`, the already-computed hash of the message.
 */
export function verifyEcdsaDigest(
  curveName: CurveName,
  publicPoint: { x: Uint8Array; y: Uint8Array },
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  const curve: Curve = CURVES[curveName];
  const parsed = parseDerSignature(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  const { n } = curve;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  let e = bytesToBigInt(digest);
  const digestBits = digest.length * 8;
  if (digestBits > curve.bits) e >>= BigInt(digestBits - curve.bits);
  const w = modInverse(s, n);
  const u1 = mod(e * w, n);
  const u2 = mod(r * w, n);
  const g: AffinePoint = { x: curve.gx, y: curve.gy };
  // The point comes from a key that OpenSSL imported, which rejects points off the curve.
  const q: AffinePoint = { x: bytesToBigInt(publicPoint.x), y: bytesToBigInt(publicPoint.y) };
  const sum = twoScalarMultiply(u1, g, u2, q, curve);
  if (sum.z === 0n) return false;
  const zInverse = modInverse(sum.z, curve.p);
  const x = mod(sum.x * zInverse * zInverse, curve.p);
  return mod(x, n) === r;
}
