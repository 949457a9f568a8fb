const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes XML's five predefined entities and numeric character references in one pass.
 * The parser runs with entity processing off (no DOCTYPE-defined entity can ever expand), so
 * this is the only decoding: single pass, no recursion, output never larger than input.
 */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      // A surrogate is not an XML Char: left as written, never decoded into a lone half.
      const character = code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      return character ? String.fromCodePoint(code) : whole;
    }
    return NAMED[body] ?? whole;
  });
}

/** 1-based line of a character offset, for `line N` error paths. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text.charCodeAt(i) === 10) line += 1;
  }
  return line;
}
