/**
 * RFC 7240 `Prefer: return=minimal`: the client does not want the full representation in the
 * answer (a pipeline or bot that only needs the outcome). Preferences are a comma-separated
 * list, each `token[=value]` with optional `;` parameters; names are case-insensitive and a
 * value may be quoted. A preference the server does not know is ignored, as the RFC asks.
 */
export function prefersMinimal(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const values = Array.isArray(header) ? header : [header];
  return values.some((value) =>
    value.split(',').some((preference) => {
      const [head = ''] = preference.split(';');
      const [name = '', raw = ''] = head.split('=', 2).map((part) => part.trim());
      return (
        name.toLowerCase() === 'return' && raw.replace(/^"|"$/g, '').toLowerCase() === 'minimal'
      );
    }),
  );
}
