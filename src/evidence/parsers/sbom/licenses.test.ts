import { describe, expect, it } from 'vitest';
import { LicenseCollector, licenseIdsOf, parseLicenseExpression } from './licenses.js';

describe('licenseIdsOf', () => {
  it.each([
    ['MIT', ['MIT']],
    ['MIT OR Apache-2.0', ['MIT', 'Apache-2.0']],
    ['(MIT AND BSD-3-Clause) OR (Apache-2.0 AND MIT)', ['MIT', 'BSD-3-Clause', 'Apache-2.0']],
    ['GPL-2.0-only WITH Classpath-exception-2.0', ['GPL-2.0-only']],
    ['GPL-2.0+ OR LicenseRef-Acme-EULA', ['GPL-2.0+', 'LicenseRef-Acme-EULA']],
    ['DocumentRef-other:LicenseRef-x AND ISC', ['DocumentRef-other:LicenseRef-x', 'ISC']],
  ])('finds the ids in %s', (expression, ids) => {
    expect(licenseIdsOf(expression)).toEqual(ids);
  });

  it.each(['GPLv3+', 'MIT OR', '', 'Apache 2'])(
    'returns nothing for the unparseable %j',
    (expression) => {
      expect(licenseIdsOf(expression)).toEqual([]);
      expect(parseLicenseExpression(expression)).toBeNull();
    },
  );
});

describe('LicenseCollector', () => {
  it('keeps names and expressions verbatim, sorted, and remembers invalid expressions once', () => {
    const licences = new LicenseCollector();
    expect(licences.addName(' Custom EULA ')).toBe('Custom EULA');
    expect(licences.addName('')).toBeNull();
    expect(licences.addExpression('   ')).toBeNull();
    expect(licences.addExpression('MIT OR Apache-2.0')).toBe('MIT OR Apache-2.0');
    licences.addExpression('GPLv3+');
    licences.addExpression('GPLv3+');
    licences.addName('Apache-2.0');
    expect(licences.sorted()).toEqual(['Apache-2.0', 'Custom EULA', 'GPLv3+', 'MIT OR Apache-2.0']);
    expect(licences.invalidExpressions()).toEqual(['GPLv3+']);
  });
});
