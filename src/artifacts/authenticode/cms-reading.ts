/**
 * Reads CMS SignedData with @peculiar/asn1-cms, and takes the exact signed-attribute bytes
 * with asn1js: the signature covers the DER the signer wrote (re-tagged as a SET), and
 * re-encoding a parsed structure is not guaranteed to reproduce it.
 */
import 'reflect-metadata';
import {
  type Attribute,
  ContentInfo,
  id_signedData,
  SignedData,
  SignerInfo,
} from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Certificate } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import {
  type ParsedCertificate,
  parseCertificateDer,
} from '../../evidence/signatures/certificate.js';
import { Verdict } from './verdict.js';

export interface ReadSignedData {
  signedData: SignedData;
  /** DER of each SignerInfo, in order, as it appears in the blob. */
  signerInfoDers: Buffer[];
  certificates: CertificateEntry[];
}

export interface CertificateEntry {
  asn: Certificate;
  parsed: ParsedCertificate;
}

export const ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const ATTR_SIGNING_TIME = '1.2.840.113549.1.9.5';

function malformed(what: string, detail?: unknown): Verdict {
  const why = detail instanceof Error ? `: ${detail.message.slice(0, 160)}` : '';
  return new Verdict('malformed_signature', `${what}${why}.`);
}

export function readSignedData(der: Buffer, what: string): ReadSignedData {
  let info: ContentInfo;
  let signedData: SignedData;
  try {
    info = AsnConvert.parse(der, ContentInfo);
  } catch (error) {
    throw malformed(`${what} is not a CMS ContentInfo`, error);
  }
  if (info.contentType !== id_signedData) {
    throw malformed(`${what} is a CMS ${info.contentType}, not SignedData`);
  }
  try {
    signedData = AsnConvert.parse(info.content, SignedData);
  } catch (error) {
    throw malformed(`${what} does not hold a readable SignedData`, error);
  }
  const parsed = asn1js.fromBER(new Uint8Array(der));
  // ContentInfo → [0] → SignedData → the last element is signerInfos.
  const signedDataNode = childAt(childAt(parsed.offset === -1 ? undefined : parsed.result, 1), 0);
  const children = constructedChildren(signedDataNode);
  const signerInfos = constructedChildren(children?.[children.length - 1]);
  if (!signerInfos || signerInfos.length !== signedData.signerInfos.length) {
    throw malformed(`${what}: the SignerInfos could not be located`);
  }
  const certificates: CertificateEntry[] = [];
  for (const choice of signedData.certificates ?? []) {
    if (!choice.certificate) continue;
    const certDer = Buffer.from(AsnConvert.serialize(choice.certificate));
    const cert = parseCertificateDer(certDer);
    if (!cert) {
      throw new Verdict(
        'malformed_certificate',
        `${what} carries a certificate that does not parse.`,
      );
    }
    certificates.push({ asn: choice.certificate, parsed: cert });
  }
  return {
    signedData,
    signerInfoDers: signerInfos.map((node) => Buffer.from(node.valueBeforeDecodeView)),
    certificates,
  };
}

function constructedChildren(node: asn1js.AsnType | undefined): asn1js.AsnType[] | undefined {
  const value = (node as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock?.value;
  return Array.isArray(value) ? (value as asn1js.AsnType[]) : undefined;
}

function childAt(node: asn1js.AsnType | undefined, index: number): asn1js.AsnType | undefined {
  return constructedChildren(node)?.[index];
}

/** The bytes the signer signed: the [0] IMPLICIT signedAttrs re-tagged as SET OF (RFC 5652 §5.4). */
export function signedAttributesDer(signerInfoDer: Buffer): Buffer | undefined {
  const parsed = asn1js.fromBER(new Uint8Array(signerInfoDer));
  if (parsed.offset === -1) return undefined;
  // version, sid, digestAlgorithm, then signedAttrs: the sid may itself be a [0] (subject key id).
  const node = constructedChildren(parsed.result)?.[3];
  if (node?.idBlock.tagClass !== 3 || node.idBlock.tagNumber !== 0) return undefined;
  const bytes = Buffer.from(node.valueBeforeDecodeView);
  bytes[0] = 0x31;
  return bytes;
}

export function parseSignerInfo(der: Buffer, what: string): SignerInfo {
  try {
    return AsnConvert.parse(der, SignerInfo);
  } catch (error) {
    throw malformed(`${what} is not a readable SignerInfo`, error);
  }
}

export function attributeValues(attributes: Attribute[] | undefined, oid: string): ArrayBuffer[] {
  return (attributes ?? []).filter((a) => a.attrType === oid).flatMap((a) => a.attrValues);
}

/** The single value of a signed attribute that must occur exactly once. */
export function singleAttribute(
  attributes: Attribute[] | undefined,
  oid: string,
  what: string,
): ArrayBuffer {
  const matching = (attributes ?? []).filter((a) => a.attrType === oid);
  if (matching.length !== 1 || matching[0]!.attrValues.length !== 1) {
    throw malformed(`${what} must carry exactly one ${oid} attribute value`);
  }
  return matching[0]!.attrValues[0]!;
}

/** The certificate a SignerInfo names, by issuer and serial number or by subject key identifier. */
export function findSignerCertificate(
  signer: SignerInfo,
  certificates: CertificateEntry[],
): CertificateEntry | undefined {
  const byIssuer = signer.sid.issuerAndSerialNumber;
  if (byIssuer) {
    const issuer = Buffer.from(AsnConvert.serialize(byIssuer.issuer));
    const serial = Buffer.from(byIssuer.serialNumber);
    return certificates.find(
      ({ asn }) =>
        Buffer.from(asn.tbsCertificate.serialNumber).equals(serial) &&
        Buffer.from(AsnConvert.serialize(asn.tbsCertificate.issuer)).equals(issuer),
    );
  }
  const keyId = signer.sid.subjectKeyIdentifier;
  if (keyId) {
    const wanted = Buffer.from(keyId.buffer);
    return certificates.find(({ asn }) => {
      const extension = asn.tbsCertificate.extensions?.find((e) => e.extnID === '2.5.29.14');
      if (!extension) return false;
      const value = asn1js.fromBER(new Uint8Array(extension.extnValue.buffer));
      const octets = (value.result as asn1js.OctetString).valueBlock?.valueHexView;
      return octets !== undefined && Buffer.from(octets).equals(wanted);
    });
  }
  return undefined;
}
