/**
 * Test support only: an RFC 3161 time-stamping authority that answers with a TimeStampResp
 * (the shape a Sigstore bundle's `rfc3161Timestamps[].signedTimestamp` holds), at an instant
 * the test chooses. Built with the @peculiar ASN.1 schemas, signed with a real ECDSA key.
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import {
  Attribute,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  MessageImprint,
  PKIStatus,
  PKIStatusInfo,
  TimeStampResp,
  TimeStampToken,
  TSTInfo,
} from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const SIGNED_DATA = '1.2.840.113549.1.7.2';
const TST_INFO = '1.2.840.113549.1.9.16.1.4';
const CONTENT_TYPE_ATTR = '1.2.840.113549.1.9.3';
const MESSAGE_DIGEST_ATTR = '1.2.840.113549.1.9.4';

const toArrayBuffer = (data: Buffer): ArrayBuffer =>
  data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;

export interface TestTsa {
  certificateDer: Buffer;
  privateKey: KeyObject;
}

/** A granted TimeStampResp over SHA-256(`data`) at `genTime`. */
export function timestampResponse(tsa: TestTsa, data: Buffer, genTime: Date): Buffer {
  const tstInfo = new TSTInfo({
    policy: '1.3.6.1.4.1.57264.2',
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256 }),
      hashedMessage: new OctetString(createHash('sha256').update(data).digest()),
    }),
    serialNumber: toArrayBuffer(Buffer.from([0x01, 0x23, 0x45])),
    genTime,
  });
  const tstDer = Buffer.from(AsnConvert.serialize(tstInfo));
  const certificate = AsnConvert.parse(tsa.certificateDer, Certificate);
  const attribute = (type: string, value: asn1js.BaseBlock) =>
    new Attribute({ attrType: type, attrValues: [value.toBER()] });
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: certificate.tbsCertificate.issuer,
        serialNumber: certificate.tbsCertificate.serialNumber,
      }),
    }),
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256 }),
    signedAttrs: [
      attribute(CONTENT_TYPE_ATTR, new asn1js.ObjectIdentifier({ value: TST_INFO })),
      attribute(
        MESSAGE_DIGEST_ATTR,
        new asn1js.OctetString({
          valueHex: toArrayBuffer(createHash('sha256').update(tstDer).digest()),
        }),
      ),
    ],
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    signature: new OctetString(0),
  });
  // The signature covers the signed attributes re-tagged as a SET (RFC 5652 §5.4).
  const signedAttrs = Buffer.from(signedAttributesDer(signerInfo));
  signedAttrs[0] = 0x31;
  signerInfo.signature = new OctetString(sign('sha256', signedAttrs, tsa.privateKey));
  const signedData = new SignedData({
    version: 3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([
      new AlgorithmIdentifier({ algorithm: SHA256 }),
    ]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: TST_INFO,
      eContent: new EncapsulatedContent({ single: new OctetString(tstDer) }),
    }),
    signerInfos: new SignerInfos([signerInfo]),
  });
  const token = new TimeStampToken({
    contentType: SIGNED_DATA,
    content: AsnConvert.serialize(signedData),
  });
  const response = new TimeStampResp({
    status: new PKIStatusInfo({ status: PKIStatus.granted }),
    timeStampToken: token,
  });
  return Buffer.from(AsnConvert.serialize(response));
}

/** The `[0] IMPLICIT` signedAttrs element of an encoded SignerInfo, as its own DER. */
function signedAttributesDer(signerInfo: SignerInfo): ArrayBuffer {
  const parsed = asn1js.fromBER(AsnConvert.serialize(signerInfo));
  const sequence = parsed.result as asn1js.Sequence;
  const attrs = sequence.valueBlock.value[3]!;
  return attrs.valueBeforeDecodeView.slice().buffer;
}
