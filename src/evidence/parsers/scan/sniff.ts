import { fail } from './doc-reader.js';

/**
 * Recognises the non-JSON uploads people actually send by mistake (a container image tarball,
 * a gzip, a zip, an XML report) so the answer names what was received, not a JSON syntax
 * position at line 1. Returns nothing for anything that may be JSON.
 */
export function rejectNonJson(bytes: Uint8Array, accepted: string): void {
  const what = binaryKind(bytes);
  if (what !== null) {
    fail(
      `This is ${what}, not a JSON document. Accepted formats: ${accepted}.`,
      '',
      `${what} received`,
      'unsupported_format',
    );
  }
  const first = firstSignificantByte(bytes);
  if (first === 0x3c /* < */) {
    fail(
      `This is an XML document; only JSON is accepted here. Accepted formats: ${accepted}.`,
      'line 1',
      'XML received',
      'unsupported_format',
    );
  }
}

function binaryKind(bytes: Uint8Array): string | null {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'a gzip archive';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03) {
    return 'a zip archive';
  }
  // POSIX/GNU tar: "ustar" magic at offset 257 (e.g. a `docker save` image tarball).
  if (bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    return 'a tar archive (a container image?)';
  }
  return null;
}

/** First byte after a UTF-8 BOM and whitespace; undefined for an all-blank input. */
export function firstSignificantByte(bytes: Uint8Array): number | undefined {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  ) {
    i += 1;
  }
  return bytes[i];
}
