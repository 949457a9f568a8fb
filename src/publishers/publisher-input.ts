import { BadRequestError, type ProblemDetail } from '../platform/errors.js';
import { parseDistinguishedName } from './distinguished-name.js';
import { type PublisherRule, sanPatternProblem } from './publisher-match.js';

/** What an admin says about a publisher; the service adds id, revision and bookkeeping. */
export type PublisherFields = Pick<PublisherRule, 'name' | 'x509_subject' | 'sigstore_identity'>;

/**
 * The rules the request schema cannot say: at least one way to match, a subject that reads
 * as RFC 4514, a SAN glob with `*` only at its end. Every problem is reported, at its path.
 */
export function checkPublisherFields(fields: PublisherFields): void {
  const problems: ProblemDetail[] = [];
  if (fields.x509_subject === null && fields.sigstore_identity === null) {
    problems.push({
      path: '/',
      message:
        'give x509_subject, sigstore_identity or both: a publisher with neither would match no signature',
    });
  }
  if (fields.x509_subject !== null) {
    const parsed = parseDistinguishedName(fields.x509_subject);
    if (!parsed.ok) {
      problems.push({
        path: '/x509_subject',
        message: `not an RFC 4514 name (at character ${parsed.at + 1}): ${parsed.message}`,
      });
    }
  }
  if (fields.sigstore_identity !== null) {
    const san = sanPatternProblem(fields.sigstore_identity.san);
    if (san) problems.push({ path: '/sigstore_identity/san', message: san });
    if (fields.sigstore_identity.issuer.includes('*')) {
      problems.push({
        path: '/sigstore_identity/issuer',
        message: 'the OIDC issuer is matched exactly; "*" is not a wildcard here',
      });
    }
  }
  if (problems.length > 0) {
    throw new BadRequestError(
      `The trusted publisher is not valid: ${problems[0]!.path} ${problems[0]!.message}.`,
      problems,
      'invalid_publisher',
    );
  }
}
