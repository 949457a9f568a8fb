/**
 * Verifies the Authenticode signatures of a located image (PE or MSI): the SignedData must
 * wrap an SpcIndirectDataContent whose DigestInfo is the file's recomputed digest, signed by
 * a code-signing certificate that chains to a trust anchor at the countersigned time (else
 * at `now`). Every outcome is data: a bad signature is evidence, the artifact is still stored.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CODE_SIGNING_OID,
  formatInstant,
  type ParsedCertificate,
} from '../../evidence/signatures/certificate.js';
import { digestAlgorithm } from './algorithms.js';
import { anchorsOrVerdict, codeSigningChain, orderFromLeaf } from './chain-check.js';
import { attributeValues, readSignedData } from './cms-reading.js';
import { type AuthenticodeSignatureReport, emptySignatureReport } from './report.js';
import type { SignedImage } from './signed-image.js';
import { checkSigner } from './signer-check.js';
import {
  SPC_INDIRECT_DATA_OID,
  SPC_NESTED_SIGNATURE_OID,
  SpcIndirectDataContent,
} from './spc-structures.js';
import { describeTimestamp, verifyTimestamp } from './timestamps.js';
import { Verdict } from './verdict.js';

/** Nested signatures beyond this are not examined (real files carry one or two). */
export const MAX_NESTED_SIGNATURES = 8;

export interface VerifyContext {
  image: SignedImage;
  /** Parsed once by the caller; empty = none configured (`no_trust_anchors`). */
  anchors: ParsedCertificate[];
  now: Date;
}

/** One SignedData blob and the signatures nested in it, primary first. */
export async function verifySignedDataBlob(
  der: Buffer,
  context: VerifyContext,
  nested: boolean,
): Promise<AuthenticodeSignatureReport[]> {
  const report = emptySignatureReport(nested);
  const nestedBlobs: Buffer[] = [];
  try {
    await verifyOne(der, context, report, nestedBlobs);
    report.verdict = 'valid';
    report.message = validMessage(report);
  } catch (error) {
    // Hostile bytes can trip a parser anywhere; that is a malformed signature, not a crash.
    const verdict =
      error instanceof Verdict
        ? error
        : new Verdict(
            'malformed_signature',
            `The signature could not be read: ${String(error).slice(0, 200)}`,
          );
    report.verdict = verdict.reason;
    report.message = verdict.message;
  }
  const reports = [report];
  for (const blob of nestedBlobs.slice(0, MAX_NESTED_SIGNATURES)) {
    reports.push(...(await verifySignedDataBlob(blob, context, true)));
  }
  return reports;
}

async function verifyOne(
  der: Buffer,
  context: VerifyContext,
  report: AuthenticodeSignatureReport,
  nestedBlobs: Buffer[],
): Promise<void> {
  const what = report.nested ? 'The nested Authenticode signature' : 'The Authenticode signature';
  const read = readSignedData(der, what);
  const { signedData } = read;
  const encapsulated = signedData.encapContentInfo;
  if (encapsulated.eContentType !== SPC_INDIRECT_DATA_OID) {
    throw new Verdict(
      'malformed_signature',
      `${what} signs a ${encapsulated.eContentType}, not SpcIndirectDataContent (${SPC_INDIRECT_DATA_OID}).`,
    );
  }
  const contentDer = encapsulated.eContent?.any;
  let content: SpcIndirectDataContent;
  try {
    if (!contentDer) throw new Error('absent');
    content = AsnConvert.parse(contentDer, SpcIndirectDataContent);
  } catch {
    throw new Verdict('malformed_signature', `${what}'s SpcIndirectDataContent does not parse.`);
  }
  if (signedData.signerInfos.length !== 1) {
    throw new Verdict(
      'malformed_signature',
      `${what} has ${signedData.signerInfos.length} signers; Authenticode has exactly one.`,
    );
  }
  const signer = signedData.signerInfos[0]!;
  // Windows nests one level (in the primary only); deeper nesting is not followed.
  if (!report.nested) {
    for (const value of attributeValues(signer.unsignedAttrs, SPC_NESTED_SIGNATURE_OID)) {
      nestedBlobs.push(Buffer.from(value));
    }
  }
  const algorithm = digestAlgorithm(content.messageDigest.digestAlgorithm.algorithm, what);
  report.digest_algorithm = algorithm;
  let fileDigest: Buffer;
  try {
    fileDigest = await context.image.digest(algorithm);
  } catch (error) {
    throw new Verdict(
      'digest_unavailable',
      `The ${algorithm} digest of the file could not be computed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const signedDigest = Buffer.from(content.messageDigest.digest.buffer);
  if (!fileDigest.equals(signedDigest)) {
    throw new Verdict(
      'digest_mismatch',
      `The file's ${algorithm} Authenticode digest is ${fileDigest.toString('hex')}, but the signature ` +
        `was made over ${signedDigest.toString('hex').slice(0, 128)}: the file changed after signing.`,
    );
  }
  // The messageDigest covers the content's value octets, without its outer tag and length.
  const checked = checkSigner({
    signer,
    der: read.signerInfoDers[0]!,
    certificates: read.certificates,
    content: valueOctets(Buffer.from(contentDer!)),
    contentType: SPC_INDIRECT_DATA_OID,
    what,
  });
  const leaf = checked.certificate.parsed;
  describeSigner(report, leaf);
  report.algorithm = checked.algorithm;
  const lazyAnchors = (): ParsedCertificate[] => {
    if (context.anchors.length === 0) return anchorsOrVerdict([]);
    return context.anchors;
  };
  const timestamp = verifyTimestamp(signer, read.certificates, lazyAnchors);
  if (timestamp) report.timestamp = describeTimestamp(timestamp);
  const at = timestamp?.at ?? context.now;
  report.validity_at = formatInstant(at);
  const chain = codeSigningChain(
    orderFromLeaf(
      leaf,
      read.certificates.map((entry) => entry.parsed),
    ),
    lazyAnchors(),
    at,
  );
  report.chain_valid = true;
  report.trust_anchor_subject = chain.anchor.subject;
  report.trust_anchor_sha256 = chain.anchor.sha256;
}

function describeSigner(report: AuthenticodeSignatureReport, leaf: ParsedCertificate): void {
  report.signer_subject = leaf.subject;
  report.issuer = leaf.issuer;
  report.serial_number = leaf.serialNumber;
  report.not_before = formatInstant(leaf.notBefore);
  report.not_after = formatInstant(leaf.notAfter);
  report.code_signing = leaf.extendedKeyUsages?.includes(CODE_SIGNING_OID) === true;
}

function validMessage(report: AuthenticodeSignatureReport): string {
  const when = report.timestamp
    ? `at its ${report.timestamp.kind === 'rfc3161' ? 'RFC 3161 timestamp' : 'countersigned time'} ${report.timestamp.at}`
    : `at ${report.validity_at}`;
  return `Signed by ${report.signer_subject}, chained to ${report.trust_anchor_subject}, valid ${when}.`;
}

/** The value octets of a DER TLV (definite length). */
export function valueOctets(tlv: Buffer): Buffer {
  if (tlv.length < 2) return Buffer.alloc(0);
  const first = tlv[1]!;
  if (first < 0x80) return tlv.subarray(2, 2 + first);
  const count = first & 0x7f;
  if (count === 0 || count > 4 || tlv.length < 2 + count) return tlv.subarray(2);
  const length = tlv.readUIntBE(2, count);
  return tlv.subarray(2 + count, 2 + count + length);
}
