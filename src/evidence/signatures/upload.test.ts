import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, InvalidDocumentError } from '../../platform/errors.js';
import { decodeBase64, decodePemCertificate } from './encoding.js';
import { CODE_SIGNING_EXTENSIONS, caExtensions, TestPki } from './test-pki.js';
import { describeTrustAnchor } from './trust-anchor.js';
import { parseSignatureUpload } from './upload.js';

const bytes = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

function invalid(value: unknown): InvalidDocumentError {
  try {
    parseSignatureUpload(bytes(value));
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDocumentError);
    return error as InvalidDocumentError;
  }
  throw new Error('expected the upload to be refused');
}

describe('parseSignatureUpload', () => {
  it('reads the detached form', () => {
    const upload = { signature: 'AAAA', certificate_chain: ['-----BEGIN CERTIFICATE-----…'] };
    expect(parseSignatureUpload(bytes(upload))).toEqual({ type: 'detached', ...upload });
  });

  it('recognises a Sigstore bundle by its media type, whatever its version', () => {
    for (const mediaType of [
      'application/vnd.dev.sigstore.bundle+json;version=0.1',
      'application/vnd.dev.sigstore.bundle.v0.3+json',
    ]) {
      const bundle = { mediaType, verificationMaterial: {} };
      expect(parseSignatureUpload(bytes(bundle))).toEqual({ type: 'sigstore', bundle });
    }
  });

  it('refuses other media types', () => {
    for (const mediaType of ['application/vnd.in-toto+json', 42]) {
      const error = invalid({ mediaType });
      expect(error.reason).toBe('invalid_signature_document');
      expect(error.errors).toEqual([
        { path: '/mediaType', message: expect.stringContaining('Sigstore') },
      ]);
    }
  });

  it('refuses anything but a JSON object', () => {
    expect(invalid(['a']).errors).toEqual([{ path: '', message: 'must be a JSON object' }]);
    expect(invalid('null').errors[0]!.path).toBe('');
    expect(invalid('{"signature":').reason).toBe('invalid_json');
  });

  it('names every problem with its path, unknown fields included', () => {
    const error = invalid({ signature: 5, certificate_chain: ['pem', 7], 'extra/field': true });
    expect(error.errors).toEqual([
      { path: '/extra~1field', message: 'unknown field' },
      { path: '/signature', message: 'must be a non-empty base64 string' },
      { path: '/certificate_chain/1', message: 'must be a PEM string' },
    ]);
    expect(error.message).toContain('/extra~1field unknown field');
  });

  it('requires a non-empty signature and chain', () => {
    expect(invalid({ signature: ' ', certificate_chain: [] }).errors.map((e) => e.path)).toEqual([
      '/signature',
      '/certificate_chain',
    ]);
    expect(invalid({}).errors.map((e) => e.path)).toEqual(['/signature', '/certificate_chain']);
    expect(invalid({ signature: 'AAAA', certificate_chain: 'pem' }).errors[0]!.path).toBe(
      '/certificate_chain',
    );
  });
});

describe('describeTrustAnchor', () => {
  let pki: TestPki;

  beforeAll(() => {
    pki = new TestPki();
    pki.issue('root', {
      subject: '/CN=Anchor Root/O=Cabinet Tests',
      keyType: 'ec256',
      extensions: caExtensions(),
    });
    pki.issue('leaf', {
      subject: '/CN=Not An Anchor',
      keyType: 'ec256',
      issuer: 'root',
      extensions: CODE_SIGNING_EXTENSIONS,
    });
  });

  afterAll(() => pki.remove());

  it('describes a CA certificate', () => {
    const description = describeTrustAnchor(pki.pem('root'));
    const fingerprint = pki
      .openssl(['x509', '-in', 'root.pem', '-noout', '-fingerprint', '-sha256'])
      .toString();
    expect(description).toEqual({
      subject: 'CN=Anchor Root, O=Cabinet Tests',
      sha256_fingerprint: fingerprint.split('=')[1]!.trim().replaceAll(':', '').toLowerCase(),
      not_before: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      not_after: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      is_ca: true,
    });
  });

  it('refuses a certificate that is not a CA', () => {
    const run = () => describeTrustAnchor(pki.pem('leaf'));
    expect(run).toThrow(BadRequestError);
    expect(run).toThrow(expect.objectContaining({ reason: 'not_a_ca' }));
  });

  it('refuses malformed PEM', () => {
    for (const pem of [
      '',
      'garbage',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
    ]) {
      expect(() => describeTrustAnchor(pem)).toThrow(
        expect.objectContaining({ reason: 'malformed_certificate' }),
      );
    }
  });
});

describe('strict decoders', () => {
  it('decode standard base64 with line breaks, and nothing else', () => {
    expect(decodeBase64('aGVs\nbG8=')?.toString()).toBe('hello');
    for (const bad of ['', 'aGVsbG8', 'aGVs*G8=', 'aGVsbG8-', 'a==='])
      expect(decodeBase64(bad)).toBeUndefined();
  });

  it('decode exactly one PEM certificate block', () => {
    const block = '-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----';
    expect(decodePemCertificate(`\n${block}\n`)?.toString()).toBe('hello');
    expect(decodePemCertificate(block.replaceAll('CERTIFICATE', 'PUBLIC KEY'))).toBeUndefined();
    expect(decodePemCertificate(`${block}\n${block}`)).toBeUndefined();
  });
});
