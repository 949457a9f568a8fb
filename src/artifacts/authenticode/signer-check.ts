import { createHash } from 'node:crypto';
import type { SignerInfo } from '@peculiar/asn1-cms';
import * as asn1js from 'asn1js';
import { digestAlgorithm, verifyCmsSignature } from './algorithms.js';
import {
  ATTR_CONTENT_TYPE,
  ATTR_MESSAGE_DIGEST,
  type CertificateEntry,
  findSignerCertificate,
  signedAttributesDer,
  singleAttribute,
} from './cms-reading.js';
import type { DigestAlgorithm } from './excluding-hasher.js';
import { quote, Verdict } from './verdict.js';

export interface CheckedSigner {
  certificate: CertificateEntry;
  /** Scheme that verified, e.g. `RSASSA-PKCS1-v1_5-SHA256`. */
  algorithm: string;
  digest: DigestAlgorithm;
}

export interface SignerToCheck {
  signer: SignerInfo;
  /** The SignerInfo's own DER, for the exact signed-attribute bytes. */
  der: Buffer;
  certificates: CertificateEntry[];
  /** The bytes whose digest the messageDigest attribute must carry. */
  content: Buffer;
  /** Required value of the contentType attribute, when the format prescribes one. */
  contentType?: string;
  what: string;
}

/** The CMS signer checks shared by Authenticode signers, TSA tokens and countersignatures. */
export function checkSigner(input: SignerToCheck): CheckedSigner {
  const { signer, what } = input;
  const digest = digestAlgorithm(signer.digestAlgorithm.algorithm, what);
  if (!signer.signedAttrs?.length) {
    throw new Verdict('malformed_signature', `${what} has no signed attributes.`);
  }
  if (input.contentType !== undefined) {
    const contentType = decodeOid(singleAttribute(signer.signedAttrs, ATTR_CONTENT_TYPE, what));
    if (contentType !== input.contentType) {
      throw new Verdict(
        'malformed_signature',
        `${what}: the signed contentType is ${quote(contentType ?? '?')}, not ${input.contentType}.`,
      );
    }
  }
  const claimed = decodeOctets(singleAttribute(signer.signedAttrs, ATTR_MESSAGE_DIGEST, what));
  const actual = createHash(digest).update(input.content).digest();
  if (!claimed || !actual.equals(claimed)) {
    throw new Verdict(
      'signature_mismatch',
      `${what}: the signed messageDigest does not match the ${digest} of the signed content.`,
    );
  }
  const certificate = findSignerCertificate(signer, input.certificates);
  if (!certificate) {
    throw new Verdict('malformed_signature', `${what}: the signer's certificate is not included.`);
  }
  const message = signedAttributesDer(input.der);
  if (!message)
    throw new Verdict('malformed_signature', `${what}: the signed attributes cannot be read.`);
  const algorithm = verifyCmsSignature({
    signatureOid: signer.signatureAlgorithm.algorithm,
    digest,
    key: certificate.parsed.publicKey,
    message,
    signature: Buffer.from(signer.signature.buffer),
    what,
  });
  return { certificate, algorithm, digest };
}

export function decodeOctets(der: ArrayBuffer): Buffer | undefined {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.OctetString)) return undefined;
  return Buffer.from(parsed.result.valueBlock.valueHexView);
}

export function decodeOid(der: ArrayBuffer): string | undefined {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.ObjectIdentifier)) return undefined;
  return parsed.result.valueBlock.toString();
}
