/**
 * Strict decoders. `Buffer.from(text, 'base64')` silently skips characters it does not know,
 * so "garbage" would decode to a few bytes and surface later as a confusing signature
 * mismatch; these refuse it up front so the client hears "malformed".
 */

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----$/;

/** Standard base64; whitespace is allowed because `base64` wraps its output at 76 columns. */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** The DER bytes of a string holding exactly one PEM `CERTIFICATE` block. */
export function decodePemCertificate(pem: string): Buffer | undefined {
  const match = PEM_CERTIFICATE.exec(pem.trim());
  return match ? decodeBase64(match[1]!) : undefined;
}

/** `0123…` → `sha256` lowercase hex is what the artifact registry stores. */
export function isSha256Hex(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}
