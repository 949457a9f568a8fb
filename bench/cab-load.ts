/**
 * HTTP clients for the CAB benches: each client is one keep-alive connection to one server,
 * sending its calls one after another (a person at a dashboard, a pipeline step), timed from
 * the request's first byte written to the answer's last byte read. Many clients run at once
 * on the parent's event loop; the servers run in processes of their own.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Call {
  method: 'GET' | 'POST';
  path: string;
  token: string;
  /** JSON text for a POST. */
  body?: string;
  /** Further request headers (e.g. `prefer`). */
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

export class Client {
  readonly #base: URL;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(base: string) {
    this.#base = new URL(base);
  }

  send(call: Call): Promise<Answer> {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${call.token}`,
      accept: 'application/json',
      ...call.headers,
    };
    const body = call.body === undefined ? undefined : Buffer.from(call.body);
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    }
    return new Promise((done, fail) => {
      const started = performance.now();
      const req = request(
        {
          host: this.#base.hostname,
          port: this.#base.port,
          method: call.method,
          path: call.path,
          headers,
          agent: this.#agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            done({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export interface Burst {
  /** Latency of every call, ms, in no particular order. */
  latencies: number[];
  /** From the first call sent to the last answer read, ms. */
  wallMs: number;
  /** Calls whose answer `check` refused (status or body), with the first such answer. */
  failures: number;
  firstFailure: string | null;
  /** Bytes of every answer's body, summed. */
  bytes: number;
}

/**
 * Every client sends its own calls in order, all clients at once; `check` says whether an
 * answer is the one expected (null) or what is wrong with it.
 */
export async function burst(
  lanes: readonly { client: Client; calls: readonly Call[] }[],
  check: (answer: Answer, call: Call) => string | null,
): Promise<Burst> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    lanes.map(async ({ client, calls }) => {
      for (const call of calls) {
        const answer = await client.send(call);
        latencies.push(answer.ms);
        bytes += Buffer.byteLength(answer.body);
        const problem = check(answer, call);
        if (problem !== null) {
          failures += 1;
          firstFailure ??= `${call.method} ${call.path}: ${problem}`;
        }
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started, failures, firstFailure, bytes };
}

/** The value below which `p` of the sorted samples fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export const median = (values: readonly number[]) => percentile(values, 0.5);
