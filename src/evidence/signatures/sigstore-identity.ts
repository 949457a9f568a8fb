import 'reflect-metadata';
import { SubjectAlternativeNameExtension, X509Certificate } from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { flatText } from '../../platform/text/quote.js';
import type { ParsedCertificate } from './certificate.js';

/** Embedded Certificate Transparency SCTs (RFC 6962 §3.3). */
export const SCT_EXTENSION_OID = '1.3.6.1.4.1.11129.2.4.2';
/** Fulcio's OIDC issuer: v2 is a DER UTF8String, the legacy v1 the raw bytes. */
const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

/** Long enough for a GitHub workflow ref URL; identities longer than this are cut, flat. */
const IDENTITY_LIMIT = 512;

export interface FulcioIdentity {
  /** The SAN a publisher rule matches: a URI (CI workflow) or an email address. */
  san: string;
  /** The OIDC issuer that vouched for the SAN, e.g. https://token.actions.githubusercontent.com. */
  issuer: string;
}

/** A certificate as Fulcio issues them: with embedded SCTs or an OIDC-issuer extension. */
export function isFulcioCertificate(cert: ParsedCertificate): boolean {
  return cert.extensionOids.some(
    (oid) => oid === SCT_EXTENSION_OID || oid === FULCIO_ISSUER_V2 || oid === FULCIO_ISSUER_V1,
  );
}

/**
 * The keyless identity: the first URI SAN (else the first email SAN) and the OIDC issuer
 * (v2 extension, falling back to the legacy v1). Undefined when the certificate has no
 * issuer extension: without the issuer, a SAN says nothing about who vouched for it.
 */
export function fulcioIdentity(cert: ParsedCertificate): FulcioIdentity | undefined {
  const parsed = new X509Certificate(cert.der);
  const issuer = issuerV2(parsed) ?? issuerV1(parsed);
  if (issuer === undefined) return undefined;
  const names = parsed.getExtension(SubjectAlternativeNameExtension)?.names.items ?? [];
  const san =
    names.find((name) => name.type === 'url')?.value ??
    names.find((name) => name.type === 'email')?.value ??
    '';
  return { san: flatText(san, IDENTITY_LIMIT), issuer: flatText(issuer, IDENTITY_LIMIT) };
}

function issuerV2(cert: X509Certificate): string | undefined {
  const extension = cert.getExtension(FULCIO_ISSUER_V2);
  if (!extension) return undefined;
  const parsed = asn1js.fromBER(extension.value);
  return parsed.offset !== -1 && parsed.result instanceof asn1js.Utf8String
    ? parsed.result.valueBlock.value
    : undefined;
}

function issuerV1(cert: X509Certificate): string | undefined {
  const extension = cert.getExtension(FULCIO_ISSUER_V1);
  return extension ? Buffer.from(extension.value).toString('utf8') : undefined;
}
