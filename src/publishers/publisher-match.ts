/**
 * Whether a verified signature comes from a trusted publisher, and if not, why: pure, so the
 * policy engine can call it and the rules can be checked exhaustively.
 */
import type { SignatureSummary } from '../evidence/signatures/types.js';
import { quote } from '../platform/text/quote.js';
import { type NameAttribute, parseDistinguishedName } from './distinguished-name.js';

/** A publisher as matching sees it (the stored record, less its bookkeeping). */
export interface PublisherRule {
  id: string;
  name: string;
  revision: number;
  /** RFC 4514 attributes that must all appear in the signer's subject. */
  x509_subject: string | null;
  /** Keyless identity: `san` exact, or a prefix when it ends with `*`; `issuer` exact. */
  sigstore_identity: { san: string; issuer: string } | null;
}

export type PublisherMatch<P extends PublisherRule = PublisherRule> =
  | { matched: P }
  | { matched: null; signer: string; why: string };

/** How many publishers a refusal explains one by one before it only counts the rest. */
const EXPLAINED = 5;
const SUBJECT_LIMIT = 200;

/** `pattern` is exact, or a prefix when its only `*` is its last character. */
export function sanMatches(pattern: string, san: string): boolean {
  return pattern.endsWith('*') ? san.startsWith(pattern.slice(0, -1)) : san === pattern;
}

/** Where a SAN pattern breaks the rule "`*` only at the end, after a fixed prefix", if it does. */
export function sanPatternProblem(pattern: string): string | null {
  const star = pattern.indexOf('*');
  if (star === -1) return null;
  if (star !== pattern.length - 1) {
    return `"*" is allowed only as the last character (found at offset ${star})`;
  }
  if (star === 0) {
    return 'a bare "*" would trust every identity the issuer vouches for: give the fixed prefix before it';
  }
  return null;
}

/** What the signer is, in words a refusal can quote. */
export function signerOf(signature: SignatureSummary): string {
  return signature.identity
    ? `keyless identity ${quote(signature.identity.san, SUBJECT_LIMIT)} (issuer ${quote(signature.identity.issuer, SUBJECT_LIMIT)})`
    : `subject ${quote(signature.signer_subject, SUBJECT_LIMIT)}`;
}

/** The first publisher (in the order given) the signature's signer matches. */
export function matchPublisher<P extends PublisherRule>(
  signature: SignatureSummary,
  publishers: readonly P[],
): PublisherMatch<P> {
  const reasons: string[] = [];
  const subject = signature.identity ? null : parseDistinguishedName(signature.signer_subject);
  for (const publisher of publishers) {
    const why = signature.identity
      ? keylessMismatch(signature.identity, publisher)
      : subjectMismatch(subject!, publisher);
    if (why === null) return { matched: publisher };
    reasons.push(why);
  }
  const shown = reasons.slice(0, EXPLAINED);
  if (reasons.length > EXPLAINED) shown.push(`and ${reasons.length - EXPLAINED} more publishers`);
  return {
    matched: null,
    signer: signerOf(signature),
    why: publishers.length === 0 ? 'no trusted publisher is configured' : shown.join('; '),
  };
}

function keylessMismatch(
  identity: { san: string; issuer: string },
  publisher: PublisherRule,
): string | null {
  const wanted = publisher.sigstore_identity;
  const who = `publisher ${quote(publisher.name)}`;
  if (!wanted) {
    return `${who} names only an X.509 subject, and a keyless certificate is matched by its identity`;
  }
  if (wanted.issuer !== identity.issuer) {
    return `${who} wants issuer ${quote(wanted.issuer)}, the certificate's issuer is ${quote(identity.issuer)}`;
  }
  if (!sanMatches(wanted.san, identity.san)) {
    return `${who} wants SAN ${quote(wanted.san)}${wanted.san.endsWith('*') ? ' (a prefix)' : ''}, the certificate's SAN is ${quote(identity.san)}`;
  }
  return null;
}

function subjectMismatch(
  subject: ReturnType<typeof parseDistinguishedName>,
  publisher: PublisherRule,
): string | null {
  const who = `publisher ${quote(publisher.name)}`;
  if (publisher.x509_subject === null) {
    return `${who} names only a Sigstore keyless identity, and this signature's certificate has none`;
  }
  const wanted = parseDistinguishedName(publisher.x509_subject);
  if (!wanted.ok) return `${who} has an unreadable x509_subject`;
  if (!subject.ok) return `the signer's subject is not an RFC 4514 name (${subject.message})`;
  for (const attribute of wanted.attributes) {
    if (subject.attributes.some((a) => a.type === attribute.type && a.value === attribute.value)) {
      continue;
    }
    const seen = subject.attributes.filter((a) => a.type === attribute.type);
    const has =
      seen.length === 0 ? `has no ${attribute.type}` : `has ${seen.map(render).join(' and ')}`;
    return `the subject ${has}, ${who} wants ${render(attribute)}`;
  }
  return null;
}

const render = (a: NameAttribute) => `${a.type}=${quote(a.value)}`;
