import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeValue, parseDistinguishedName } from './distinguished-name.js';

const attributes = (text: string) => {
  const parsed = parseDistinguishedName(text);
  if (!parsed.ok) throw new Error(`${parsed.at}: ${parsed.message}`);
  return parsed.attributes;
};

describe('parseDistinguishedName', () => {
  it('reads RFC 4514 text and the ", " form @peculiar/x509 and OpenSSL print', () => {
    expect(attributes('CN=Build,O=Contoso Ltd,C=US')).toEqual([
      { type: 'CN', value: 'Build' },
      { type: 'O', value: 'Contoso Ltd' },
      { type: 'C', value: 'US' },
    ]);
    expect(attributes('CN=Build, O=Contoso Ltd, C=US')).toEqual(
      attributes('CN=Build,O=Contoso Ltd,C=US'),
    );
  });

  it('compares types without case and knows their OIDs', () => {
    expect(attributes('o=Contoso, 2.5.4.3=x, OID.2.5.4.6=US, emailAddress=a@b, S=WA')).toEqual([
      { type: 'O', value: 'Contoso' },
      { type: 'CN', value: 'x' },
      { type: 'C', value: 'US' },
      { type: 'E', value: 'a@b' },
      { type: 'ST', value: 'WA' },
    ]);
    expect(attributes('1.3.6.1.4.1.311.60.2.1.3=US')).toEqual([
      { type: '1.3.6.1.4.1.311.60.2.1.3', value: 'US' },
    ]);
  });

  it('unescapes special characters, hex pairs as UTF-8, and keeps escaped edge spaces', () => {
    expect(attributes('O=Contoso\\, Ltd, CN=a\\+b')).toEqual([
      { type: 'O', value: 'Contoso, Ltd' },
      { type: 'CN', value: 'a+b' },
    ]);
    expect(attributes('O=M\\C3\\BCller GmbH')).toEqual([{ type: 'O', value: 'Müller GmbH' }]);
    expect(attributes('CN=\\ padded\\ ')).toEqual([{ type: 'CN', value: ' padded ' }]);
    expect(attributes('CN=x+SERIALNUMBER=42')).toEqual([
      { type: 'CN', value: 'x' },
      { type: 'SERIALNUMBER', value: '42' },
    ]);
    expect(attributes('CN="quoted, value"')).toEqual([{ type: 'CN', value: 'quoted, value' }]);
    expect(attributes('CN=#04024869')).toEqual([{ type: 'CN', value: '#04024869' }]);
  });

  it.each([
    ['', 0, /empty/],
    ['Contoso Ltd', 0, /no "=" found/],
    ['O=Contoso,', 10, /ends with a separator/],
    ['O=a\\qb', 3, /backslash must escape/],
    ['O=\\C3', 5, /not UTF-8/],
    ['C*=US', 0, /attribute type/],
    ['CN="open', 3, /not closed/],
    ['CN=#abc', 3, /even number/],
  ])('refuses %j at character %i', (text, at, message) => {
    const parsed = parseDistinguishedName(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.at).toBe(at);
      expect(parsed.message).toMatch(message);
    }
  });

  it('reads back any value it escaped (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 }),
        (values) => {
          const text = values.map((v, i) => `${i % 2 ? 'OU' : 'O'}=${escapeValue(v)}`).join(', ');
          expect(attributes(text).map((a) => a.value)).toEqual(values);
        },
      ),
    );
  });
});
