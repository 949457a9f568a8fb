/**
 * The countersigned signing time of an Authenticode signature: an RFC 3161 token in the
 * Microsoft unsigned attribute, or the legacy PKCS#9 countersignature. Either vouches that
 * the signature value existed at that instant, so the signer's chain is judged then.
 */
import { createHash } from 'node:crypto';
import type { SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { id_ct_tstInfo, TSTInfo } from '@peculiar/asn1-tsp';
import { Time } from '@peculiar/asn1-x509';
import { formatInstant, type ParsedCertificate } from '../../evidence/signatures/certificate.js';
import { digestAlgorithm } from './algorithms.js';
import { orderFromLeaf, timeStampingChain } from './chain-check.js';
import {
  ATTR_SIGNING_TIME,
  attributeValues,
  type CertificateEntry,
  parseSignerInfo,
  readSignedData,
  singleAttribute,
} from './cms-reading.js';
import { checkSigner } from './signer-check.js';
import { COUNTERSIGNATURE_OID, SPC_RFC3161_TIMESTAMP_OID } from './spc-structures.js';
import { Verdict } from './verdict.js';

export interface Countersignature {
  kind: 'rfc3161' | 'legacy_countersignature';
  at: Date;
  /** RFC 4514 subject of the TSA certificate. */
  authority: string;
}

/** The verified timestamp of `signer`, undefined when it has none; a bad one is `timestamp_invalid`. */
export function verifyTimestamp(
  signer: SignerInfo,
  outerCertificates: CertificateEntry[],
  anchors: () => ParsedCertificate[],
): Countersignature | undefined {
  const tokens = attributeValues(signer.unsignedAttrs, SPC_RFC3161_TIMESTAMP_OID);
  const counters = attributeValues(signer.unsignedAttrs, COUNTERSIGNATURE_OID);
  const signature = Buffer.from(signer.signature.buffer);
  try {
    if (tokens.length > 0)
      return rfc3161(Buffer.from(tokens[0]!), signature, outerCertificates, anchors);
    if (counters.length > 0)
      return legacy(Buffer.from(counters[0]!), signature, outerCertificates, anchors);
  } catch (error) {
    if (
      error instanceof Verdict &&
      error.reason !== 'timestamp_invalid' &&
      error.reason !== 'no_trust_anchors'
    ) {
      throw new Verdict('timestamp_invalid', error.message);
    }
    throw error;
  }
  return undefined;
}

function rfc3161(
  der: Buffer,
  signature: Buffer,
  outer: CertificateEntry[],
  anchors: () => ParsedCertificate[],
): Countersignature {
  const what = 'The RFC 3161 timestamp token';
  const token = readSignedData(der, what);
  const encapsulated = token.signedData.encapContentInfo;
  const content = encapsulated.eContent?.single;
  if (encapsulated.eContentType !== id_ct_tstInfo || !content) {
    throw new Verdict('timestamp_invalid', `${what} does not hold a TSTInfo.`);
  }
  const tstDer = Buffer.from(content.buffer);
  let info: TSTInfo;
  try {
    info = AsnConvert.parse(tstDer, TSTInfo);
  } catch {
    throw new Verdict('timestamp_invalid', `${what}'s TSTInfo does not parse.`);
  }
  const imprintAlgorithm = digestAlgorithm(info.messageImprint.hashAlgorithm.algorithm, what);
  const expected = createHash(imprintAlgorithm).update(signature).digest();
  if (!expected.equals(Buffer.from(info.messageImprint.hashedMessage.buffer))) {
    throw new Verdict(
      'timestamp_invalid',
      `${what} vouches for another value: its message imprint is not the ${imprintAlgorithm} of this signature.`,
    );
  }
  if (token.signedData.signerInfos.length !== 1) {
    throw new Verdict('timestamp_invalid', `${what} must have exactly one signer.`);
  }
  const pool = [...token.certificates, ...outer];
  const checked = checkSigner({
    signer: token.signedData.signerInfos[0]!,
    der: token.signerInfoDers[0]!,
    certificates: pool,
    content: tstDer,
    contentType: id_ct_tstInfo,
    what: `${what}'s signer`,
  });
  const at = info.genTime;
  const tsa = checked.certificate.parsed;
  timeStampingChain(
    orderFromLeaf(
      tsa,
      pool.map((entry) => entry.parsed),
    ),
    anchors(),
    at,
  );
  return { kind: 'rfc3161', at, authority: tsa.subject };
}

function legacy(
  der: Buffer,
  signature: Buffer,
  outer: CertificateEntry[],
  anchors: () => ParsedCertificate[],
): Countersignature {
  const what = 'The countersignature';
  const counter = parseSignerInfo(der, what);
  const checked = checkSigner({
    signer: counter,
    der,
    certificates: outer,
    content: signature,
    what,
  });
  let at: Date;
  try {
    at = AsnConvert.parse(
      singleAttribute(counter.signedAttrs, ATTR_SIGNING_TIME, what),
      Time,
    ).getTime();
  } catch {
    throw new Verdict('timestamp_invalid', `${what} has no readable signingTime.`);
  }
  if (Number.isNaN(at.getTime()))
    throw new Verdict('timestamp_invalid', `${what} has an invalid signingTime.`);
  const tsa = checked.certificate.parsed;
  timeStampingChain(
    orderFromLeaf(
      tsa,
      outer.map((entry) => entry.parsed),
    ),
    anchors(),
    at,
  );
  return { kind: 'legacy_countersignature', at, authority: tsa.subject };
}

export function describeTimestamp(timestamp: Countersignature): {
  kind: Countersignature['kind'];
  at: string;
  authority: string;
} {
  return { kind: timestamp.kind, at: formatInstant(timestamp.at), authority: timestamp.authority };
}
