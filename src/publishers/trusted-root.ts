/**
 * Checks an admin's Sigstore `trusted_root.json` before it is stored: it must be the Sigstore
 * format (media type 0.1 or 0.2), parse with @sigstore/protobuf-specs, and become trust
 * material with @sigstore/verify — the same two steps the verifier takes, so a stored root
 * never fails later for being malformed. Each entry is tried on its own, so a refusal names
 * the entry (`/trusted_root/tlogs/1`) and not just the document. Pure.
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { BadRequestError, type ProblemDetail } from '../platform/errors.js';
import { flatText, quote } from '../platform/text/quote.js';

/** The old spelling (public-good's TUF root still uses it) and the spec's current ones. */
export const TRUSTED_ROOT_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot+json;version=0.2',
  'application/vnd.dev.sigstore.trustedroot.v0.1+json',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
] as const;

const LISTS = ['certificateAuthorities', 'tlogs', 'ctlogs', 'timestampAuthorities'] as const;
type ListName = (typeof LISTS)[number];

/** More entries than any real deployment lists (public-good: a handful per list). */
const MAX_ENTRIES = 100;
const MAX_PROBLEMS = 20;

export interface TrustedRootSummary {
  certificate_authorities: { uri: string; certificates: number }[];
  tlogs: { base_url: string }[];
  ctlogs: { base_url: string }[];
  timestamp_authorities: { uri: string; certificates: number }[];
}

export interface CheckedTrustedRoot {
  media_type: string;
  summary: TrustedRootSummary;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The document's checks, or a 400 listing every problem found, each at its JSON path. */
export function checkTrustedRoot(document: unknown, base = '/trusted_root'): CheckedTrustedRoot {
  const problems: ProblemDetail[] = [];
  const refuse = (): never => {
    throw new BadRequestError(
      `The Sigstore trusted root is not usable: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}.`,
      problems.slice(0, MAX_PROBLEMS),
      'invalid_trusted_root',
    );
  };
  if (!isObject(document)) {
    problems.push({
      path: base,
      message: `must be a JSON object (a Sigstore trusted_root.json), not ${quote(document)}`,
    });
    return refuse();
  }
  const mediaType = document.mediaType;
  if (typeof mediaType !== 'string') {
    problems.push({
      path: `${base}/mediaType`,
      message: `mediaType is missing: a Sigstore trusted root declares ${TRUSTED_ROOT_MEDIA_TYPES.join(', ')}`,
    });
  } else if (!(TRUSTED_ROOT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    problems.push({
      path: `${base}/mediaType`,
      message: `unsupported media type ${quote(mediaType)}; expected ${TRUSTED_ROOT_MEDIA_TYPES.join(', ')}`,
    });
  }
  for (const list of LISTS) {
    const entries = document[list];
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) {
      problems.push({
        path: `${base}/${list}`,
        message: `must be an array, not ${quote(entries)}`,
      });
      continue;
    }
    if (entries.length > MAX_ENTRIES) {
      problems.push({
        path: `${base}/${list}`,
        message: `holds ${entries.length} entries; at most ${MAX_ENTRIES} are accepted`,
      });
      continue;
    }
    entries.forEach((entry, index) => {
      const problem = entryProblem(list, entry);
      if (problem) problems.push({ path: `${base}/${list}/${index}`, message: problem });
    });
  }
  if (problems.length > 0) return refuse();
  const count = (list: ListName) => (document[list] as unknown[] | undefined)?.length ?? 0;
  if (count('certificateAuthorities') + count('tlogs') + count('timestampAuthorities') === 0) {
    problems.push({
      path: base,
      message:
        'holds no certificate authority, transparency log or timestamp authority: it would trust nothing',
    });
    return refuse();
  }
  // Each entry passed alone; the whole must too (it is what the verifier will build).
  const root = parseRoot(document);
  if (typeof root === 'string') {
    problems.push({ path: base, message: root });
    return refuse();
  }
  return { media_type: mediaType as string, summary: summarise(root as TrustedRoot) };
}

/** Why one entry cannot become trust material, or null when it can. */
function entryProblem(list: ListName, entry: unknown): string | null {
  if (!isObject(entry)) return `must be an object, not ${quote(entry)}`;
  if (list === 'tlogs' || list === 'ctlogs') {
    const key = entry.publicKey;
    if (!isObject(key) || typeof key.rawBytes !== 'string' || key.rawBytes === '') {
      return 'publicKey.rawBytes (the log key, base64 DER) is missing';
    }
    // The verifier takes checkpointKeyId when there is one (trusted root v0.2), else logId.
    const hasKeyId = (id: unknown) =>
      isObject(id) && typeof id.keyId === 'string' && id.keyId !== '';
    if (!hasKeyId(entry.logId) && !hasKeyId(entry.checkpointKeyId)) {
      return 'logId.keyId (the log id, base64) is missing';
    }
    const range = timeRangeProblem(key.validFor);
    if (range) return `publicKey.validFor ${range}`;
  } else {
    const chain = entry.certChain;
    if (!isObject(chain) || !Array.isArray(chain.certificates) || chain.certificates.length === 0) {
      return 'certChain.certificates is missing or empty';
    }
    const range = timeRangeProblem(entry.validFor);
    if (range) return `validFor ${range}`;
  }
  const root = parseRoot({ mediaType: TRUSTED_ROOT_MEDIA_TYPES[1], [list]: [entry] });
  return typeof root === 'string' ? root : null;
}

function timeRangeProblem(range: unknown): string | null {
  if (range === undefined) return null;
  if (!isObject(range)) return `must be an object with start and end, not ${quote(range)}`;
  for (const end of ['start', 'end'] as const) {
    const value = range[end];
    if (value === undefined) continue;
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
      return `${end} must be an RFC 3339 instant, not ${quote(value)}`;
    }
  }
  return null;
}

/** The parsed root, or why the libraries refused it (their message, flattened and bounded). */
function parseRoot(document: Record<string, unknown>): TrustedRoot | string {
  try {
    const root = TrustedRoot.fromJSON(document);
    toTrustMaterial(root);
    return root;
  } catch (error) {
    return `@sigstore/verify cannot use it: ${flatText(error instanceof Error ? error.message : String(error), 200)}`;
  }
}

function summarise(root: TrustedRoot): TrustedRootSummary {
  const authority = (ca: TrustedRoot['certificateAuthorities'][number]) => ({
    uri: ca.uri,
    certificates: ca.certChain?.certificates.length ?? 0,
  });
  return {
    certificate_authorities: root.certificateAuthorities.map(authority),
    tlogs: root.tlogs.map((t) => ({ base_url: t.baseUrl })),
    ctlogs: root.ctlogs.map((t) => ({ base_url: t.baseUrl })),
    timestamp_authorities: root.timestampAuthorities.map(authority),
  };
}
