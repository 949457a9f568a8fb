// @peculiar/x509 relies on decorator metadata: the polyfill must load before it.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { rmSync } from 'node:fs';
import { X509CertificateGenerator } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTIFICATE_CACHE_SIZE, parseCertificateDer, parseCertificatePem } from './certificate.js';
import { caExtensions, TestPki } from './test-pki.js';

describe('parseCertificateDer', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = new TestPki();
    pki.issue('root', { keyType: 'ec256', subject: '/CN=Cache Root', extensions: caExtensions() });
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

  it('reads a certificate once and hands out the same frozen reading, apart from its input', () => {
    const der = pki.der('root');
    const first = parseCertificateDer(der);
    expect(first?.subject).toBe('CN=Cache Root');
    // The caller's buffer may be reused: the reading keeps its own bytes.
    const input = Buffer.from(der);
    const again = parseCertificateDer(input);
    input.fill(0);
    expect(again).toBe(first);
    expect(again?.der.equals(der)).toBe(true);
    expect(Object.isFrozen(again)).toBe(true);
    expect(parseCertificatePem(pki.pem('root'))).toBe(first);
  });

  it('refuses bytes that are not a certificate, every time', () => {
    const junk = Buffer.from('30030201ff', 'hex');
    expect(parseCertificateDer(junk)).toBeUndefined();
    expect(parseCertificateDer(junk)).toBeUndefined();
  });

  it('forgets the oldest reading once it holds CERTIFICATE_CACHE_SIZE of them', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]);
    const certificate = async (serial: number) =>
      Buffer.from(
        (
          await X509CertificateGenerator.createSelfSigned({
            serialNumber: serial.toString(16).padStart(4, '0'),
            name: `CN=Cache ${serial}`,
            notBefore: new Date('2026-01-01T00:00:00Z'),
            notAfter: new Date('2027-01-01T00:00:00Z'),
            keys,
            signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
          })
        ).rawData,
      );
    const oldest = await certificate(1);
    const first = parseCertificateDer(oldest);
    expect(first?.subject).toBe('CN=Cache 1');
    for (let serial = 2; serial <= CERTIFICATE_CACHE_SIZE + 1; serial++) {
      parseCertificateDer(await certificate(serial));
    }
    const again = parseCertificateDer(oldest);
    expect(again).not.toBe(first);
    expect(again?.sha256).toBe(first?.sha256);
  });
});
