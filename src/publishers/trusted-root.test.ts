import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../platform/errors.js';
import { checkTrustedRoot } from './trusted-root.js';
import { testTrustedRoot } from './trusted-root-fixture.js';

function refusal(document: unknown): BadRequestError {
  try {
    checkTrustedRoot(document);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return error as BadRequestError;
  }
  throw new Error('expected a refusal');
}

describe('checkTrustedRoot', () => {
  const root = testTrustedRoot();

  it('accepts a trusted root and summarises what it trusts', () => {
    expect(checkTrustedRoot(root)).toEqual({
      media_type: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      summary: {
        certificate_authorities: [{ uri: 'https://fulcio.sigstore.test', certificates: 1 }],
        tlogs: [{ base_url: 'https://rekor.sigstore.test' }],
        ctlogs: [{ base_url: 'https://ctfe.sigstore.test/test' }],
        timestamp_authorities: [],
      },
    });
  });

  it.each([
    'application/vnd.dev.sigstore.trustedroot+json;version=0.2',
    'application/vnd.dev.sigstore.trustedroot.v0.2+json',
  ])('accepts the media type %s', (mediaType) => {
    expect(checkTrustedRoot({ ...root, mediaType }).media_type).toBe(mediaType);
  });

  it('refuses another media type, or none, at /trusted_root/mediaType', () => {
    const bundle = refusal({ ...root, mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' });
    expect(bundle.reason).toBe('invalid_trusted_root');
    expect(bundle.errors[0]).toEqual({
      path: '/trusted_root/mediaType',
      message: expect.stringContaining(
        'unsupported media type "application/vnd.dev.sigstore.bundle.v0.3+json"',
      ),
    });
    const { mediaType: _m, ...bare } = root;
    expect(refusal(bare).errors[0]!.message).toMatch(/mediaType is missing/);
  });

  it('names the entry whose key or certificate the libraries cannot read', () => {
    const tlogs = root.tlogs as { publicKey: object }[];
    const badKey = refusal({
      ...root,
      tlogs: [
        tlogs[0],
        { ...tlogs[0], publicKey: { ...tlogs[0]!.publicKey, rawBytes: 'bm90IGEga2V5' } },
      ],
    });
    expect(badKey.errors).toEqual([
      {
        path: '/trusted_root/tlogs/1',
        message: expect.stringMatching(/^@sigstore\/verify cannot use it: /),
      },
    ]);
    const cas = root.certificateAuthorities as object[];
    const badCert = refusal({
      ...root,
      certificateAuthorities: [{ ...cas[0], certChain: { certificates: [{ rawBytes: 'AAAA' }] } }],
    });
    expect(badCert.errors[0]!.path).toBe('/trusted_root/certificateAuthorities/0');
    const empty = refusal({
      ...root,
      certificateAuthorities: [{ ...cas[0], certChain: { certificates: [] } }],
    });
    expect(empty.errors[0]!.message).toMatch(/certChain.certificates is missing or empty/);
  });

  it('refuses what is not a trusted root at all, without walking into it', () => {
    expect(refusal([1, 2]).errors[0]).toEqual({
      path: '/trusted_root',
      message: expect.stringContaining('an array of 2 items'),
    });
    expect(refusal('x').errors[0]!.path).toBe('/trusted_root');
    expect(refusal({ ...root, tlogs: 'rekor' }).errors[0]!.path).toBe('/trusted_root/tlogs');
    expect(refusal({ ...root, tlogs: [null] }).errors[0]!.path).toBe('/trusted_root/tlogs/0');
    const tlog = (root.tlogs as { logId: object }[])[0]!;
    expect(refusal({ ...root, tlogs: [{ ...tlog, logId: {} }] }).errors[0]!.message).toMatch(
      /logId.keyId/,
    );
    expect(
      refusal({
        ...root,
        tlogs: [
          {
            ...tlog,
            publicKey: {
              ...(tlog as never as { publicKey: object }).publicKey,
              validFor: { start: 'soon' },
            },
          },
        ],
      }).errors[0]!.message,
    ).toMatch(/validFor start must be an RFC 3339 instant/);
    const hostile = { ...root, tlogs: Array.from({ length: 101 }, () => ({})) };
    expect(refusal(hostile).errors[0]!.message).toMatch(/at most 100/);
  });

  it('refuses a root that would trust nothing', () => {
    const nothing = refusal({ mediaType: root.mediaType, ctlogs: root.ctlogs });
    expect(nothing.errors[0]!.message).toMatch(/would trust nothing/);
  });
});
