import { constants, type KeyObject, verify } from 'node:crypto';
import type { DigestAlgorithm } from './excluding-hasher.js';
import { quote, Verdict } from './verdict.js';

const DIGESTS: Readonly<Record<string, DigestAlgorithm>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithm OIDs that name their own hash; the bare key OIDs take the SignerInfo's. */
const SIGNATURES: Readonly<
  Record<string, { key: 'rsa' | 'ec' | 'rsa-pss'; hash?: DigestAlgorithm }>
> = {
  '1.2.840.113549.1.1.1': { key: 'rsa' },
  '1.2.840.113549.1.1.5': { key: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.10': { key: 'rsa-pss' },
  '1.2.840.10045.2.1': { key: 'ec' },
  '1.2.840.10045.4.1': { key: 'ec', hash: 'sha1' },
  '1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512' },
};

const CURVES: Readonly<Record<string, string>> = {
  prime256v1: 'P256',
  secp384r1: 'P384',
  secp521r1: 'P521',
};

export function digestAlgorithm(oid: string, what: string): DigestAlgorithm {
  const algorithm = DIGESTS[oid];
  if (!algorithm) {
    throw new Verdict(
      'unsupported_algorithm',
      `${what} uses the digest algorithm ${quote(oid)}; cabinet accepts SHA-1 and SHA-2.`,
    );
  }
  return algorithm;
}

/**
 * Verifies a CMS signature and names the scheme, e.g. `RSASSA-PKCS1-v1_5-SHA256`. RSA-PSS is
 * checked with MGF1 over the same hash and any salt length, as signers choose it.
 */
export function verifyCmsSignature(input: {
  signatureOid: string;
  digest: DigestAlgorithm;
  key: KeyObject;
  message: Buffer;
  signature: Buffer;
  what: string;
}): string {
  const scheme = SIGNATURES[input.signatureOid];
  if (!scheme) {
    throw new Verdict(
      'unsupported_algorithm',
      `${input.what} uses the signature algorithm ${quote(input.signatureOid)}; cabinet accepts RSA and ECDSA.`,
    );
  }
  const hash = scheme.hash ?? input.digest;
  const keyType = input.key.asymmetricKeyType;
  const hashName = hash.toUpperCase().replace('SHA', 'SHA');
  let name: string;
  let ok: boolean;
  if (scheme.key === 'ec') {
    if (keyType !== 'ec') throw keyMismatch(input.what, keyType, 'ECDSA');
    const curve = CURVES[String(input.key.asymmetricKeyDetails?.namedCurve)] ?? 'unknown-curve';
    name = `ECDSA-${curve}-${hashName}`;
    ok = verify(hash, input.message, input.key, input.signature);
  } else {
    if (keyType !== 'rsa' && keyType !== 'rsa-pss') throw keyMismatch(input.what, keyType, 'RSA');
    const pss = scheme.key === 'rsa-pss';
    name = `${pss ? 'RSASSA-PSS' : 'RSASSA-PKCS1-v1_5'}-${hashName}`;
    ok = verify(
      hash,
      input.message,
      pss
        ? {
            key: input.key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          }
        : { key: input.key, padding: constants.RSA_PKCS1_PADDING },
      input.signature,
    );
  }
  if (!ok) {
    throw new Verdict(
      'signature_mismatch',
      `${input.what}: the ${name} signature over the signed attributes does not verify with the signer's key.`,
    );
  }
  return name;
}

function keyMismatch(what: string, keyType: string | undefined, wanted: string): Verdict {
  return new Verdict(
    'unsupported_algorithm',
    `${what} claims an ${wanted} signature, but the signer's key is ${keyType ?? 'of an unknown type'}.`,
  );
}
