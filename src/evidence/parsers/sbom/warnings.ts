import { quote } from '../../../platform/text/quote.js';

const MAX_EXAMPLES = 3;
/** Long examples (a 2 kB purl) are cut: a warning is a summary, not a copy of the document. */
const MAX_EXAMPLE_LENGTH = 80;

type Render = (count: number, examples: string) => string;

interface Entry {
  count: number;
  examples: string[];
  render: Render;
}

/**
 * Warnings grouped by kind: a 10k-component SBOM with one systematic deviation must yield
 * one readable line (with a count and a few examples), not 10k.
 */
export class Warnings {
  readonly #entries = new Map<string, Entry>();

  add(message: string): void {
    this.#entries.set(message, { count: 1, examples: [], render: () => message });
  }

  tally(kind: string, example: string, render: Render): void {
    let entry = this.#entries.get(kind);
    if (entry === undefined) {
      entry = { count: 0, examples: [], render };
      this.#entries.set(kind, entry);
    }
    entry.count += 1;
    if (entry.examples.length < MAX_EXAMPLES) {
      entry.examples.push(
        example.length > MAX_EXAMPLE_LENGTH
          ? `${example.slice(0, MAX_EXAMPLE_LENGTH - 1)}…`
          : example,
      );
    }
  }

  toArray(): string[] {
    return [...this.#entries.values()].map((entry) => {
      const more = entry.count > entry.examples.length ? ', …' : '';
      const examples = entry.examples.map((example) => quote(example)).join(', ');
      return entry.render(entry.count, `${examples}${more}`);
    });
  }
}
