/**
 * A structured mutator over real evidence documents: each input is one seeded mutation of a
 * corpus document, at the byte level (flips, truncation, invalid UTF-8) or on the parsed
 * value (deep nesting, huge numbers and strings, duplicate keys, type swaps per field).
 * Everything is derived from (seed, kind, index), so any input can be rebuilt exactly.
 */

/** mulberry32: small, fast, and the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

type Random = () => number;
const int = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

export interface Seed {
  name: string;
  bytes: Buffer;
  /** The parsed JSON, when the seed is JSON; XML seeds are mutated as text. */
  json: unknown;
  /** Paths to every value, sampled once: where structural mutations strike. */
  paths: Array<Array<string | number>>;
}

export interface Mutation {
  mutator: string;
  bytes: Buffer;
}

/** Up to `limit` value paths of a JSON document, collected iteratively. */
export function valuePaths(root: unknown, limit = 4000): Array<Array<string | number>> {
  const paths: Array<Array<string | number>> = [];
  const queue: Array<{ value: unknown; path: Array<string | number> }> = [
    { value: root, path: [] },
  ];
  while (queue.length > 0 && paths.length < limit) {
    const { value, path } = queue.shift()!;
    paths.push(path);
    if (Array.isArray(value)) {
      value.forEach((child, i) => {
        queue.push({ value: child, path: [...path, i] });
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value))
        queue.push({ value: child, path: [...path, key] });
    }
  }
  return paths;
}

export function seedOf(name: string, bytes: Buffer): Seed {
  let json: unknown;
  try {
    // JSON Lines (a DSSE envelope per line): the first line is the document.
    const text = bytes.toString('utf8');
    json = JSON.parse(name.endsWith('.jsonl') ? (text.split('\n')[0] ?? '') : text);
  } catch {
    json = undefined;
  }
  return { name, bytes, json, paths: json === undefined ? [] : valuePaths(json) };
}

/** A marker swapped for raw JSON text after stringifying: values JSON.stringify cannot make. */
const RAW = '\u0000__fuzz_raw__\u0000';

const HUGE_NUMBERS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890123456789',
  '-0',
  '1e-400',
  '0.0000000000000000000000000000001',
  '9007199254740993',
  '-9223372036854775809',
];

function deepText(random: Random): string {
  const depth = 500 + int(random, 20_000);
  const [open, close] = random() < 0.5 ? ['[', ']'] : ['{"a":', '}'];
  return `${open.repeat(depth)}${random() < 0.5 ? '"x"' : '1'}${close.repeat(depth)}`;
}

function hugeString(random: Random): string {
  const size = 1_000 + int(random, 300_000);
  const unit = pick(random, ['a', '\\n', '\\u0000', '😀', '\\ud800', '\\"', '\\\\', ' ']);
  return `"${unit.repeat(Math.ceil(size / unit.length))}"`;
}

function swapValue(random: Random): unknown {
  return pick(random, [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 2.5,
    () => '',
    () => 'x',
    () => '2.1.0',
    () => [],
    () => [1, 'a', null],
    () => ({}),
    () => ({ a: 1 }),
    () => `${RAW}${pick(random, HUGE_NUMBERS)}`,
    () => `${RAW}${deepText(random)}`,
    () => `${RAW}${hugeString(random)}`,
  ])();
}

/** Sets the value at `path` on a copy-on-write spine (the seed's JSON is never modified). */
function withValueAt(
  root: unknown,
  path: Array<string | number>,
  value: unknown,
  drop = false,
): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container = root as Record<string | number, unknown>;
  if (Array.isArray(root)) {
    const copy: unknown[] = [...root];
    if (rest.length === 0 && drop) copy.splice(head as number, 1);
    else copy[head as number] = withValueAt(root[head as number], rest, value, drop);
    return copy;
  }
  const copy: Record<string | number, unknown> = { ...container };
  if (rest.length === 0 && drop) delete copy[head!];
  else copy[head!] = withValueAt(container[head!], rest, value, drop);
  return copy;
}

function valueAt(root: unknown, path: Array<string | number>): unknown {
  let value = root;
  for (const step of path) value = (value as Record<string | number, unknown>)[step];
  return value;
}

function stringifyRaw(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes('__fuzz_raw__')) return text;
  // The marker's own JSON escaping, followed by the raw text, inside one string literal.
  return text.replace(/"\\u0000__fuzz_raw__\\u0000((?:[^"\\]|\\.)*)"/g, (_m, raw: string) =>
    JSON.parse(`"${raw}"`),
  );
}

const INVALID_UTF8 = [
  [0xff],
  [0xc3, 0x28],
  [0x80],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x28, 0xa1],
];

const byteLevel: Record<string, (random: Random, bytes: Buffer) => Buffer> = {
  byte_flip(random, bytes) {
    const out = Buffer.from(bytes);
    const flips = 1 + int(random, 8);
    for (let i = 0; i < flips && out.length > 0; i += 1) {
      const at = int(random, out.length);
      out[at] = out[at]! ^ (1 << int(random, 8));
    }
    return out;
  },
  byte_set(random, bytes) {
    const out = Buffer.from(bytes);
    if (out.length > 0)
      out[int(random, out.length)] = pick(
        random,
        [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x3c, 0x3e, 0x26, 0x00],
      );
    return out;
  },
  truncate(random, bytes) {
    return bytes.subarray(0, int(random, bytes.length));
  },
  invalid_utf8(random, bytes) {
    const at = int(random, bytes.length + 1);
    return Buffer.concat([
      bytes.subarray(0, at),
      Buffer.from(pick(random, INVALID_UTF8)),
      bytes.subarray(at),
    ]);
  },
  splice_self(random, bytes) {
    const a = int(random, bytes.length + 1);
    const b = int(random, bytes.length + 1);
    return Buffer.concat([bytes.subarray(0, a), bytes.subarray(b)]);
  },
  empty() {
    return Buffer.alloc(0);
  },
};

const structural: Record<string, (random: Random, seed: Seed) => string> = {
  type_swap(random, seed) {
    return stringifyRaw(withValueAt(seed.json, pick(random, seed.paths), swapValue(random)));
  },
  deep_nesting(random, seed) {
    return stringifyRaw(
      withValueAt(seed.json, pick(random, seed.paths), `${RAW}${deepText(random)}`),
    );
  },
  huge_number(random, seed) {
    return stringifyRaw(
      withValueAt(seed.json, pick(random, seed.paths), `${RAW}${pick(random, HUGE_NUMBERS)}`),
    );
  },
  huge_string(random, seed) {
    return stringifyRaw(
      withValueAt(seed.json, pick(random, seed.paths), `${RAW}${hugeString(random)}`),
    );
  },
  drop_field(random, seed) {
    const path = pick(random, seed.paths);
    return stringifyRaw(path.length === 0 ? {} : withValueAt(seed.json, path, undefined, true));
  },
  duplicate_key(random, seed) {
    // A key of some object written twice, before or after itself, with another value.
    const objects = seed.paths.filter((p) => {
      const v = valueAt(seed.json, p);
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
    });
    if (objects.length === 0) return stringifyRaw(seed.json);
    const path = pick(random, objects);
    const object = valueAt(seed.json, path) as Record<string, unknown>;
    const key = pick(random, Object.keys(object));
    const marked = random() < 0.5 ? { __fuzz_dup__: 0, ...object } : { ...object, __fuzz_dup__: 0 };
    const text = stringifyRaw(withValueAt(seed.json, path, marked));
    return text.replace(
      '"__fuzz_dup__":0',
      `${JSON.stringify(key)}:${stringifyRaw(swapValue(random))}`,
    );
  },
  proto_key(random, seed) {
    const path = pick(random, seed.paths);
    const text = stringifyRaw(withValueAt(seed.json, path, { __fuzz_proto__: { polluted: true } }));
    return text.replace(
      '"__fuzz_proto__"',
      pick(random, ['"__proto__"', '"constructor"', '"prototype"']),
    );
  },
};

const xmlLevel: Record<string, (random: Random, text: string) => string> = {
  xml_deep(random, text) {
    const depth = 50 + int(random, 5_000);
    const at = text.indexOf('<testcase');
    const cut = at < 0 ? text.length : at;
    const name = pick(random, ['testsuite', 'a', 'x:y']);
    return `${text.slice(0, cut)}${`<${name}>`.repeat(depth)}${`</${name}>`.repeat(depth)}${text.slice(cut)}`;
  },
  xml_reserved_name(random, text) {
    const name = pick(random, [
      '__proto__',
      'constructor',
      'prototype',
      'hasOwnProperty',
      'toString',
    ]);
    return text.replace('<testcase ', `<${name}><x/></${name}><testcase `);
  },
  xml_reserved_attribute(random, text) {
    const name = pick(random, ['__proto__', 'constructor', 'toString']);
    return text.replace('<testcase ', `<testcase ${name}="1" `);
  },
  xml_entities(random, text) {
    const entity = pick(random, [
      '&#xFFFFFFFF;',
      '&#0;',
      '&#xD800;',
      '&unknown;',
      '&amp;amp;',
      '&#99999999999;',
    ]);
    return text.replace('name="', `name="${entity}`);
  },
  xml_doctype(random, text) {
    const doctype = pick(random, [
      '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
      '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
    ]);
    return text.replace('<testsuites', `${doctype}<testsuites`);
  },
  xml_huge_attribute(random, text) {
    return text.replace('name="', `name="${'n'.repeat(1000 + int(random, 200_000))}`);
  },
};

export const MUTATORS = [
  ...Object.keys(byteLevel),
  ...Object.keys(structural),
  ...Object.keys(xmlLevel),
] as const;

/** One input: seed document and mutator chosen by the PRNG, then the mutation itself. */
export function mutate(random: Random, seeds: readonly Seed[]): Mutation & { seed: string } {
  const seed = pick(random, seeds);
  const json = seed.json !== undefined && seed.paths.length > 0;
  const isXml = !json && seed.bytes.toString('utf8', 0, 200).includes('<');
  const names = [
    ...Object.keys(byteLevel),
    ...(json ? Object.keys(structural) : []),
    ...(isXml ? Object.keys(xmlLevel) : []),
  ];
  const mutator = pick(random, names);
  let bytes: Buffer;
  if (mutator in byteLevel) bytes = byteLevel[mutator]!(random, seed.bytes);
  else if (mutator in structural) bytes = Buffer.from(structural[mutator]!(random, seed), 'utf8');
  else bytes = Buffer.from(xmlLevel[mutator]!(random, seed.bytes.toString('utf8')), 'utf8');
  // Sometimes stack a byte-level mutation on top, as real corruption compounds.
  if (random() < 0.15) bytes = byteLevel.byte_flip!(random, bytes);
  return { seed: seed.name, mutator, bytes };
}
