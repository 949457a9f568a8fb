/**
 * Offline verification of an evidence bundle (cabinet-evidence-bundle/v1): pure, no file or
 * network access, linear in the bundle's size (hashing the documents dominates). Every part is
 * checked even after another failed, so the report names everything that is wrong; a part that
 * cannot be read is reported under `format` and the checks that need it say they did not run.
 * docs/architecture/pack-verification.md describes each check and how to repeat it by hand.
 */
import { canonicalJson, sameJsonValue, sha256Hex } from '../platform/crypto/canonical-json.js';
import { quote } from '../platform/text/quote.js';
import { checkAudit } from './bundle-audit.js';
import { checkCabDecision } from './bundle-cab.js';
import { checkDocuments } from './bundle-documents.js';
import { checkSignedEnvelope, subjectDigests } from './bundle-envelope.js';
import { checkEmbeddedKey, resolveTrustedKeys } from './bundle-keys.js';
import { type ParsedPack, readBundle } from './bundle-schema.js';
import { type BundleVerification, CheckList, type VerifyBundleOptions } from './bundle-types.js';
import type { ParsedStatement } from './dsse.js';
import { PACK_PREDICATE_TYPE } from './pack-body.js';

export {
  BUNDLE_FORMAT,
  type BundleAuditEvent,
  type BundleCabDecision,
  type BundleCheck,
  type BundleDocument,
  type BundleVerification,
  type DocumentProgress,
  type EvidenceBundle,
  type RedactedAuditEvent,
  type TrustedKey,
  type VerifyBundleOptions,
} from './bundle-types.js';

const UNREADABLE = (what: string) => `${what} could not be read (see format)`;

const PACK = {
  part: 'envelope',
  name: 'the envelope',
  statement: 'the in-toto statement',
} as const;

/**
 * The body's RFC 8785 text, or null (and a failed digest check) for a body that has none: a
 * number beyond a double (1e999) or a lone surrogate parses as JSON but has no canonical
 * form, so no pack cabinet signed can hold it.
 */
function canonicalBodyText(body: unknown, checks: CheckList): string | null {
  try {
    return canonicalJson(body);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    checks.fail(
      'pack.digest',
      `the body has no canonical JSON form (${quote(why)}), so it is not a pack cabinet signed: it was edited`,
    );
    return null;
  }
}

export function verifyBundle(bundle: unknown, options: VerifyBundleOptions): BundleVerification {
  const checks = new CheckList();
  const parsed = readBundle(bundle, checks);
  if (!parsed) return checks.result();
  const trusted = resolveTrustedKeys(options.trustedKeys, checks);

  if (parsed.publicKey) checkEmbeddedKey(parsed.publicKey, trusted, checks);
  else checks.skip('key', UNREADABLE('public_key'));

  const { pack } = parsed;
  let bodyText: string | null = null;
  if (pack) {
    bodyText = canonicalBodyText(parsed.rawBody, checks);
    if (bodyText !== null) checkPack(pack, bodyText, checks);
  } else {
    checks.skip('pack.digest', UNREADABLE('the pack'));
  }

  let statement: ParsedStatement | undefined;
  if (parsed.envelope) statement = checkSignedEnvelope(parsed.envelope, trusted, checks, PACK);
  else checks.skip('envelope', UNREADABLE('the envelope'));
  if (!statement) {
    checks.skip('envelope.statement', 'the envelope did not verify');
  } else if (pack && bodyText !== null) {
    checkStatement(statement, pack, parsed.rawBody, checks);
  } else {
    checks.skip('envelope.statement', UNREADABLE('the pack'));
  }

  if (pack && parsed.documents) {
    checkDocuments(pack.body, parsed.documents, checks, options.onProgress);
  } else {
    checks.skip('documents', UNREADABLE(pack ? 'the documents' : 'the pack'));
  }

  if (parsed.audit) checkAudit(parsed.audit, pack, trusted, checks);
  else checks.skip('audit', UNREADABLE('the audit events'));

  if (parsed.cabDecision === 'unreadable') {
    checks.skip('cab_decision', UNREADABLE('cab_decision'));
  } else {
    checkCabDecision(parsed.cabDecision, pack, parsed.audit, trusted, checks);
  }
  return checks.result();
}

function checkPack(pack: ParsedPack, bodyText: string, checks: CheckList): void {
  const digest = sha256Hex(bodyText);
  if (digest === pack.digest) {
    checks.pass('pack.digest', `sha256 ${digest} of the canonical body matches`);
  } else {
    checks.fail(
      'pack.digest',
      `the canonical body hashes to ${digest}, the bundle says ${pack.digest}: the body or the digest was edited`,
    );
  }
  if (pack.version !== pack.body.version) {
    checks.fail(
      'pack.version',
      `the bundle labels the pack version ${pack.version} but its body says ${pack.body.version}`,
    );
  }
}

function checkStatement(
  statement: ParsedStatement,
  pack: ParsedPack,
  rawBody: unknown,
  checks: CheckList,
): void {
  const part = 'envelope.statement';
  let ok = true;
  const fail = (message: string) => {
    ok = false;
    checks.fail(part, message);
  };
  if (statement.predicateType !== PACK_PREDICATE_TYPE) {
    fail(`predicateType is ${statement.predicateType}, not ${PACK_PREDICATE_TYPE}`);
  }
  const artifact = pack.body.artifact_sha256;
  const digests = subjectDigests(statement);
  if (!digests.includes(artifact)) {
    fail(
      `the signed subject is sha256 ${digests.map(String).join(', ') || '(none)'}, not the pack's artifact ${artifact}`,
    );
  }
  // The same JSON value as the body (equal RFC 8785 texts), without writing the text again.
  if (!sameJsonValue(statement.predicate, rawBody)) {
    fail('the signed predicate differs from the pack body: the body was changed after signing');
  }
  if (ok) {
    checks.pass(
      part,
      `the signed statement names artifact ${artifact} and its predicate is the body`,
    );
  }
}
