/** Builders of small SPDX 2.3 documents for the SPDX parsers' tests. */

type Json = Record<string, unknown>;

export function doc(rest: Json = {}): Json {
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'test',
    documentNamespace: 'https://example.org/spdx/test-1',
    creationInfo: { created: '2024-01-01T00:00:00Z', creators: ['Tool: test'] },
    ...rest,
  };
}

export function pkg(id: string, rest: Json = {}): Json {
  return { SPDXID: `SPDXRef-${id}`, name: id, downloadLocation: 'NOASSERTION', ...rest };
}

/** A relationship; bare names get the SPDXRef- prefix. */
export function rel(from: string, type: string, to: string): Json {
  const id = (name: string) =>
    /^(SPDXRef-|DocumentRef-|NONE$|NOASSERTION$)/.test(name) ? name : `SPDXRef-${name}`;
  return { spdxElementId: id(from), relationshipType: type, relatedSpdxElement: id(to) };
}

export const describesApp = rel('SPDXRef-DOCUMENT', 'DESCRIBES', 'app');
