import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SignatureSummary } from '../evidence/signatures/types.js';
import { escapeValue } from './distinguished-name.js';
import {
  matchPublisher,
  type PublisherRule,
  sanMatches,
  sanPatternProblem,
} from './publisher-match.js';

const x509 = (subject: string): SignatureSummary =>
  ({ method: 'x509', signer_subject: subject }) as SignatureSummary;
const keyless = (san: string, issuer: string): SignatureSummary =>
  ({ method: 'sigstore', signer_subject: '', identity: { san, issuer } }) as SignatureSummary;

let n = 0;
const publisher = (fields: Partial<PublisherRule>): PublisherRule => {
  n += 1;
  return {
    id: `p${n}`,
    name: `Publisher ${n}`,
    revision: 1,
    x509_subject: null,
    sigstore_identity: null,
    ...fields,
  };
};

const GITHUB = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/contoso/app/.github/workflows/release.yml@refs/tags/';

describe('matchPublisher, X.509 subjects', () => {
  const contoso = publisher({ name: 'Contoso', x509_subject: 'O=Contoso Ltd' });

  it('matches when every wanted attribute is in the subject, whatever the order and spacing', () => {
    expect(matchPublisher(x509('CN=Build Signing, O=Contoso Ltd, C=US'), [contoso])).toEqual({
      matched: contoso,
    });
    const both = publisher({ x509_subject: 'c=US,o=Contoso Ltd' });
    expect(matchPublisher(x509('CN=x,O=Contoso Ltd,C=US'), [both]).matched).toBe(both);
    expect(matchPublisher(x509('CN=x, O=Contoso Ltd'), [both]).matched).toBeNull();
  });

  it('compares values exactly: case, spaces and look-alikes do not match', () => {
    for (const subject of [
      'O=contoso ltd',
      'O=Contoso Ltd.',
      'O=Contoso  Ltd',
      'O=Contoso Ltd\\, Inc',
    ]) {
      expect(matchPublisher(x509(subject), [contoso]).matched, subject).toBeNull();
    }
    const escaped = publisher({ x509_subject: 'O=Contoso\\, Inc' });
    expect(matchPublisher(x509('CN=a, O=Contoso\\, Inc'), [escaped]).matched).toBe(escaped);
  });

  it('names the signer and what each publisher wanted', () => {
    const result = matchPublisher(x509('CN=x, O=Fabrikam'), [contoso]);
    expect(result).toEqual({
      matched: null,
      signer: 'subject "CN=x, O=Fabrikam"',
      why: 'the subject has O="Fabrikam", publisher "Contoso" wants O="Contoso Ltd"',
    });
    const none = matchPublisher(x509('CN=x'), [contoso]);
    expect(none.matched === null && none.why).toBe(
      'the subject has no O, publisher "Contoso" wants O="Contoso Ltd"',
    );
    const onlyKeyless = publisher({
      name: 'CI',
      sigstore_identity: { san: `${WORKFLOW}*`, issuer: GITHUB },
    });
    const other = matchPublisher(x509('CN=x, O=Contoso Ltd'), [onlyKeyless]);
    expect(other.matched === null && other.why).toMatch(
      /publisher "CI" names only a Sigstore keyless identity/,
    );
  });

  it('explains the first five publishers and counts the rest', () => {
    const many = Array.from({ length: 8 }, (_, i) => publisher({ x509_subject: `O=Vendor ${i}` }));
    const result = matchPublisher(x509('O=Nobody'), many);
    expect(result.matched === null && result.why.split('; ')).toHaveLength(6);
    expect(result.matched === null && result.why).toMatch(/and 3 more publishers$/);
  });

  it('property: a subject built from the wanted attributes plus others always matches; dropping one never does', () => {
    const value = fc.string({ minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(value, value, value, (o, ou, cn) => {
        const rule = publisher({ x509_subject: `O=${escapeValue(o)}, OU=${escapeValue(ou)}` });
        const full = `CN=${escapeValue(cn)}, OU=${escapeValue(ou)}, O=${escapeValue(o)}`;
        expect(matchPublisher(x509(full), [rule]).matched).toBe(rule);
        const withoutOu = `CN=${escapeValue(cn)}, O=${escapeValue(o)}`;
        expect(matchPublisher(x509(withoutOu), [rule]).matched).toBeNull();
      }),
    );
  });
});

describe('matchPublisher, keyless identities', () => {
  const release = publisher({
    name: 'Contoso CI',
    sigstore_identity: { san: `${WORKFLOW}*`, issuer: GITHUB },
  });

  it('matches the SAN prefix and the exact issuer', () => {
    expect(matchPublisher(keyless(`${WORKFLOW}v1.2.3`, GITHUB), [release]).matched).toBe(release);
    const wrongIssuer = matchPublisher(keyless(`${WORKFLOW}v1`, 'https://accounts.google.com'), [
      release,
    ]);
    expect(wrongIssuer).toEqual({
      matched: null,
      signer: `keyless identity "${WORKFLOW}v1" (issuer "https://accounts.google.com")`,
      why: `publisher "Contoso CI" wants issuer "${GITHUB}", the certificate's issuer is "https://accounts.google.com"`,
    });
    const branch = 'https://github.com/contoso/app/.github/workflows/release.yml@refs/heads/main';
    const wrongSan = matchPublisher(keyless(branch, GITHUB), [release]);
    expect(wrongSan.matched === null && wrongSan.why).toMatch(
      /wants SAN ".*refs\/tags\/\*" \(a prefix\), the certificate's SAN is ".*refs\/heads\/main"/,
    );
  });

  it('never matches a keyless certificate by X.509 subject', () => {
    const bySubject = publisher({ name: 'Sub', x509_subject: 'O=sigstore.dev' });
    const result = matchPublisher({ ...keyless('a@b', GITHUB), signer_subject: 'O=sigstore.dev' }, [
      bySubject,
    ]);
    expect(result.matched === null && result.why).toMatch(/names only an X.509 subject/);
  });

  it('property: a SAN pattern without "*" matches only itself', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (pattern, san) => {
          expect(sanMatches(pattern, san)).toBe(san === pattern);
          expect(sanMatches(pattern, pattern)).toBe(true);
        },
      ),
    );
  });

  it('property: prefix* matches exactly the strings that start with prefix', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (prefix, san) => {
          expect(sanMatches(`${prefix}*`, san)).toBe(san.startsWith(prefix));
          expect(sanMatches(`${prefix}*`, prefix + san)).toBe(true);
        },
      ),
    );
  });

  it('property: a pattern with "*" anywhere but at the end is refused, and so is a bare "*"', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (before, after) => {
        expect(sanPatternProblem(`${before}*${after}`)).toMatch(/only as the last character|bare/);
      }),
    );
    expect(sanPatternProblem('*')).toMatch(/bare "\*"/);
    expect(sanPatternProblem(`${WORKFLOW}*`)).toBeNull();
    expect(sanPatternProblem('https://github.com/contoso/*/release.yml')).toMatch(/offset 27/);
  });
});
