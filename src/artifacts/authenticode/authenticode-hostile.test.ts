/**
 * Signatures osslsigncode would never write, made by editing real ones: each edit is one
 * structural lie, and each must end in a precise verdict rather than a crash or a pass.
 */
import 'reflect-metadata';
import {
  Attribute,
  ContentInfo,
  SignedData,
  SignerIdentifier,
  type SignerInfo,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_MESSAGE_DIGEST } from './cms-reading.js';
import { type AuthenticodeReport, type SignedImage, verifyAuthenticode } from './index.js';
import { SPC_RFC3161_TIMESTAMP_OID } from './spc-structures.js';
import { AuthenticodeTestKit, scanPe, windowsBinary } from './test-signing.js';

let kit: AuthenticodeTestKit;
let now: Date;
let image: SignedImage;
let timestampedImage: SignedImage;

function imageOf(bytes: Buffer): SignedImage {
  const scan = scanPe(bytes);
  if (scan.kind !== 'signed') throw new Error(scan.kind);
  return scan.image();
}

beforeAll(() => {
  kit = new AuthenticodeTestKit();
  now = new Date();
  image = imageOf(kit.sign(windowsBinary('x64')));
  timestampedImage = imageOf(
    kit.sign(windowsBinary('x64'), { timestampAt: new Date(now.getTime() + 60_000) }),
  );
});

afterAll(() => kit.remove());

type Edit = (signedData: SignedData, signer: SignerInfo) => void;

/** The same file digest, with the PKCS#7 parsed, edited and re-encoded. */
function edited(source: SignedImage, edit: Edit): SignedImage {
  const info = AsnConvert.parse(source.pkcs7[0]!, ContentInfo);
  const signedData = AsnConvert.parse(info.content, SignedData);
  edit(signedData, signedData.signerInfos[0]!);
  info.content = AsnConvert.serialize(signedData);
  return { ...source, pkcs7: [Buffer.from(AsnConvert.serialize(info))] };
}

async function verify(
  target: SignedImage,
  trustAnchors = [kit.rootPem],
): Promise<AuthenticodeReport> {
  return verifyAuthenticode(target, { trustAnchors, now });
}

describe('edited Authenticode signatures', () => {
  it('re-encoding an untouched signature keeps it valid (the edits below are the only change)', async () => {
    expect((await verify(edited(image, () => {}))).status).toBe('valid');
  });

  it('finds the signer by subject key identifier as well as by issuer and serial', async () => {
    const report = await verify(
      edited(image, (signedData, signer) => {
        // The leaf is the one with an extended key usage; the issuing CA has none.
        const leaf = signedData.certificates!.find((choice) =>
          choice.certificate?.tbsCertificate.extensions?.some((e) => e.extnID === '2.5.29.37'),
        )!.certificate!;
        const ski = leaf.tbsCertificate.extensions!.find((e) => e.extnID === '2.5.29.14')!;
        const keyId = AsnConvert.parse(ski.extnValue, SubjectKeyIdentifier);
        // The signed attributes are untouched, so the signature still verifies.
        signer.sid = new SignerIdentifier({ subjectKeyIdentifier: keyId });
      }),
    );
    expect(report.status).toBe('valid');
  });

  it('refuses a SignedData that does not sign SpcIndirectDataContent', async () => {
    const report = await verify(
      edited(image, (signedData) => {
        signedData.encapContentInfo.eContentType = '1.2.840.113549.1.7.1';
      }),
    );
    expect(report).toMatchObject({ reason: 'malformed_signature' });
    expect(report.message).toMatch(/not SpcIndirectDataContent/);
  });

  it('refuses two signers', async () => {
    const report = await verify(
      edited(image, (signedData, signer) => {
        signedData.signerInfos.push(signer);
      }),
    );
    expect(report.message).toMatch(/has 2 signers/);
  });

  it("refuses a signature whose signer's certificate is not included", async () => {
    const report = await verify(
      edited(image, (signedData) => {
        signedData.certificates = undefined;
      }),
    );
    expect(report).toMatchObject({ reason: 'malformed_signature' });
    expect(report.message).toMatch(/not included/);
  });

  it('refuses signed attributes that are missing or carry two message digests', async () => {
    const none = await verify(
      edited(image, (_signedData, signer) => {
        signer.signedAttrs = undefined;
      }),
    );
    expect(none.message).toMatch(/no signed attributes/);
    const twice = await verify(
      edited(image, (_signedData, signer) => {
        const digest = signer.signedAttrs!.find((a) => a.attrType === ATTR_MESSAGE_DIGEST)!;
        signer.signedAttrs!.push(
          new Attribute({ attrType: digest.attrType, attrValues: digest.attrValues }),
        );
      }),
    );
    expect(twice).toMatchObject({ reason: 'malformed_signature' });
    expect(twice.message).toMatch(/exactly one/);
  });

  it('says unsupported_algorithm for an unknown digest or signature algorithm, or a key of another type', async () => {
    const md5 = await verify(
      edited(image, (_signedData, signer) => {
        signer.digestAlgorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.2.5' });
      }),
    );
    expect(md5).toMatchObject({ reason: 'unsupported_algorithm' });
    expect(md5.message).toContain('"1.2.840.113549.2.5"');
    const dsa = await verify(
      edited(image, (_signedData, signer) => {
        signer.signatureAlgorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.10040.4.3' });
      }),
    );
    expect(dsa).toMatchObject({ reason: 'unsupported_algorithm' });
    const ecdsaClaim = await verify(
      edited(image, (_signedData, signer) => {
        signer.signatureAlgorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
      }),
    );
    expect(ecdsaClaim).toMatchObject({ reason: 'unsupported_algorithm' });
    expect(ecdsaClaim.message).toMatch(/signer's key is rsa/);
  });

  it('says signature_mismatch when the signature value is replaced', async () => {
    const report = await verify(
      edited(image, (_signedData, signer) => {
        const value = Buffer.from(signer.signature.buffer);
        value[0] = value[0]! ^ 0x80;
        signer.signature = new OctetString(value);
      }),
    );
    expect(report).toMatchObject({ reason: 'signature_mismatch' });
  });

  it('says timestamp_invalid for a timestamp token that is not a token', async () => {
    const report = await verify(
      edited(timestampedImage, (_signedData, signer) => {
        const token = signer.unsignedAttrs!.find((a) => a.attrType === SPC_RFC3161_TIMESTAMP_OID)!;
        token.attrValues = [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]).buffer];
      }),
    );
    expect(report).toMatchObject({ reason: 'timestamp_invalid' });
  });

  it('says timestamp_invalid for a timestamp over another signature value', async () => {
    const other = imageOf(
      kit.sign(windowsBinary('ia32'), { timestampAt: new Date(now.getTime() + 60_000) }),
    );
    const otherToken = AsnConvert.parse(
      AsnConvert.parse(other.pkcs7[0]!, ContentInfo).content,
      SignedData,
    ).signerInfos[0]!.unsignedAttrs!.find((a) => a.attrType === SPC_RFC3161_TIMESTAMP_OID)!;
    const report = await verify(
      edited(timestampedImage, (_signedData, signer) => {
        const token = signer.unsignedAttrs!.find((a) => a.attrType === SPC_RFC3161_TIMESTAMP_OID)!;
        token.attrValues = otherToken.attrValues;
      }),
    );
    expect(report).toMatchObject({ reason: 'timestamp_invalid' });
    expect(report.message).toMatch(/message imprint/);
  });
});

describe('timestamps by the wrong authority', () => {
  it('says timestamp_invalid when the countersigner lacks the timeStamping EKU', async () => {
    // osslsigncode refuses such a TSA; `openssl cms -sign` does not check the purpose.
    const bytes = kit.signWithLegacyCountersignature(windowsBinary('x64'), 'leaf-ec');
    const report = await verify(imageOf(bytes));
    expect(report).toMatchObject({ reason: 'timestamp_invalid' });
    expect(report.message).toMatch(/lacks the timeStamping/);
  });

  it('says timestamp_invalid when the TSA does not chain to a trust anchor', async () => {
    const bytes = kit.sign(windowsBinary('x64'), {
      timestampAt: new Date(now.getTime() + 60_000),
      tsa: 'other-tsa',
    });
    const report = await verify(imageOf(bytes));
    expect(report).toMatchObject({ reason: 'timestamp_invalid' });
    expect(report.message).toMatch(/not a configured trust anchor/);
  });
});
