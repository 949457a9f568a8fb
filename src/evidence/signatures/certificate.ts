// @peculiar/x509 relies on decorator metadata: the polyfill must load before it.
import 'reflect-metadata';
import { createHash, type KeyObject, X509Certificate as NodeCertificate } from 'node:crypto';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
} from '@peculiar/x509';
import { decodePemCertificate } from './encoding.js';

export const CODE_SIGNING_OID: string = ExtendedKeyUsage.codeSigning;
export const DIGITAL_SIGNATURE_FLAG: number = KeyUsageFlags.digitalSignature;

/**
 * One certificate, read once. @peculiar/x509 gives readable names and the extensions that
 * Node does not expose (keyUsage bits, pathLenConstraint); node:crypto gives the synchronous
 * signature check and issuer matching (OpenSSL's X509_check_issued) that keep this module
 * CPU-only and synchronous.
 */
export interface ParsedCertificate {
  readonly der: Buffer;
  /** RFC 4514 string, e.g. `CN=Acme Code Signing, O=Acme`. */
  readonly subject: string;
  readonly issuer: string;
  /** Lowercase hex, as printed by `openssl x509 -serial` (lowercased). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  /** keyUsage bit flags (KeyUsageFlags), undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** extKeyUsage OIDs, undefined when the extension is absent. */
  readonly extendedKeyUsages: string[] | undefined;
  /** OIDs of every extension present. */
  readonly extensionOids: string[];
  readonly publicKey: KeyObject;
  /** SHA-256 of the DER encoding, lowercase hex. */
  readonly sha256: string;
  readonly native: NodeCertificate;
}

/**
 * Certificates already read, by the SHA-256 of their DER. The same few recur on every check (a
 * publisher's chain on each of its uploads, the trust anchors on every judgement), and reading
 * one with both libraries costs about 1–2 ms, most of a warm Authenticode judgement. Only
 * certificates that parsed are kept, at most CERTIFICATE_CACHE_SIZE, the oldest going first.
 */
const parsedCertificates = new Map<string, ParsedCertificate>();
export const CERTIFICATE_CACHE_SIZE = 512;

/** Parses DER; undefined when it is not an X.509 certificate both libraries can read. */
export function parseCertificateDer(der: Buffer): ParsedCertificate | undefined {
  const sha256 = createHash('sha256').update(der).digest('hex');
  const known = parsedCertificates.get(sha256);
  if (known) return known;
  const parsed = readCertificate(der, sha256);
  if (!parsed) return undefined;
  if (parsedCertificates.size >= CERTIFICATE_CACHE_SIZE) {
    parsedCertificates.delete(parsedCertificates.keys().next().value as string);
  }
  parsedCertificates.set(sha256, parsed);
  return parsed;
}

function readCertificate(der: Buffer, sha256: string): ParsedCertificate | undefined {
  try {
    const native = new NodeCertificate(der);
    const cert = new X509Certificate(der);
    const basic = cert.getExtension(BasicConstraintsExtension);
    const usage = cert.getExtension(KeyUsagesExtension);
    const extended = cert.getExtension(ExtendedKeyUsageExtension);
    // Shared by every caller from now on: none may change it.
    return Object.freeze({
      der: Buffer.from(der),
      subject: cert.subject,
      issuer: cert.issuer,
      serialNumber: cert.serialNumber.toLowerCase(),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      isCa: basic?.ca === true,
      pathLength: basic?.pathLength,
      keyUsage: usage?.usages,
      extendedKeyUsages: extended?.usages.map(String),
      extensionOids: cert.extensions.map((extension) => extension.type),
      // Reading the key here makes an unusable key (e.g. an off-curve point) a parse error.
      publicKey: native.publicKey,
      sha256,
      native,
    } satisfies ParsedCertificate);
  } catch {
    return undefined;
  }
}

export function parseCertificatePem(pem: string): ParsedCertificate | undefined {
  const der = decodePemCertificate(pem);
  return der ? parseCertificateDer(der) : undefined;
}

/** True when `issuer` issued `cert`: names, key identifiers and keyCertSign match, signature verifies. */
export function isIssuedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return cert.native.checkIssued(issuer.native) && cert.native.verify(issuer.publicKey);
}

/** `2025-03-01T00:00:00Z`: certificate times have whole seconds, so milliseconds are noise. */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
