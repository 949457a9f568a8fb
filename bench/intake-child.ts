/**
 * Child process of bench/intake.ts. Each measured operation that memory or a second core
 * matters to runs here, in a fresh process on the real composition root (its database and
 * limits come from the CABINET_* environment the parent passes):
 *
 *  - `ingest <file> <kind> [warm-up file]`: EvidenceService receive + store of one document read from
 *    `file` as a request body arrives (a stream in 64 KiB chunks, with its Content-Length),
 *    and the process's peak RSS while doing it. With a warm-up file, that smaller document
 *    is added first, so the parse worker is running and has compiled its schemas before the
 *    baseline is taken, as in a server that has taken any upload of that kind since start;
 *  - `parse <file> <kind> [warm-up file]`: parseDocumentEvidence alone on the main thread,
 *    no worker and no storage, for the same peak (what the parser itself needs);
 *  - `floor <file>`: read the file, JSON.parse it and SHA-256 it: the least any whole-document
 *    intake holds (bytes, text, object tree);
 *  - `serve`: the real HTTP application on 127.0.0.1, port 0, with a submitter's token and a
 *    draft intent, until the parent sends `stop`: the parent is the client, on its own core;
 *  - `hash-serve`: a bare node:http server that only SHA-256es each request body and answers
 *    the digest: the most any upload handler in Node can do over the same loopback.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DocumentKind, parseDocumentEvidence } from '../src/evidence/parse-evidence.js';
import { intakeWorld, listen } from './intake-setup.js';

export type IntakeChildMode = 'ingest' | 'parse' | 'floor' | 'serve' | 'hash-serve';
export type MemoryMode = Exclude<IntakeChildMode, 'serve' | 'hash-serve'>;

export interface MemoryReport {
  mode: MemoryMode;
  /** Size of the document, bytes. */
  documentBytes: number;
  /** Wall time of the operation. */
  ms: number;
  /**
   * RSS of this process just before the operation started: the container open, the intent
   * created (and the warm-up document, if any, done with), the document not yet read: not a
   * byte of it is in this process.
   */
  rssBeforeBytes: number;
  /** Peak RSS of the process while the operation ran (see peakSource). */
  peakRssBytes: number;
  /**
   * `VmHWM after reset`: /proc/self/clear_refs reset the high-water mark just before the
   * operation, so the peak is the operation's alone. Otherwise a lifetime peak (can only
   * overstate).
   */
  peakSource: string;
  /** Highest RSS sampled every 5 ms during the operation: a cross-check on the peak. */
  sampledPeakBytes: number;
  /** What came out: components (SBOM) or findings (scan), so the parent knows it parsed. */
  items: number;
}

export interface ServeReport {
  mode: 'serve';
  port: number;
  token: string;
  intentId: string;
}

const status = () => readFileSync('/proc/self/status', 'utf8');

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where that is not possible. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRss(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status());
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: getrusage below.
  }
  return process.resourceUsage().maxRSS * 1024;
}

function countItems(summary: object): number {
  const s = summary as { component_count?: number; finding_count?: number };
  return s.component_count ?? s.finding_count ?? -1;
}

async function measureMemory(
  mode: MemoryMode,
  file: string,
  kind: DocumentKind,
  warmUpFile: string | undefined,
): Promise<MemoryReport> {
  const world = await intakeWorld(process.env);
  try {
    const intentId = await world.newIntent();
    const addFile = async (path: string) => {
      const { database, evidence } = world.container;
      const received = await evidence.receive(
        intentId,
        kind,
        { stream: createReadStream(path), contentLength: statSync(path).size },
        {},
      );
      const item = await database
        .transaction((trx) => evidence.store(trx, world.ctx, received))
        .finally(() => received.discard());
      return countItems(item.summary);
    };
    if (warmUpFile !== undefined) {
      if (mode === 'ingest') await addFile(warmUpFile);
      else if (mode === 'parse') parseDocumentEvidence(kind, readFileSync(warmUpFile));
    }
    const documentBytes = statSync(file).size;
    // Let start-up garbage settle so the baseline is the idle process, not a transient.
    await sleep(100);
    const rssBeforeBytes = process.memoryUsage.rss();
    const reset = resetPeak();
    let sampledPeakBytes = rssBeforeBytes;
    const sampler = setInterval(() => {
      sampledPeakBytes = Math.max(sampledPeakBytes, process.memoryUsage.rss());
    }, 5);
    const started = performance.now();
    let items: number;
    if (mode === 'ingest') {
      items = await addFile(file);
    } else if (mode === 'parse') {
      items = countItems(parseDocumentEvidence(kind, readFileSync(file)).summary);
    } else {
      const bytes = readFileSync(file);
      createHash('sha256').update(bytes).digest('hex');
      const tree = JSON.parse(bytes.toString('utf8')) as { components?: unknown[] };
      items = tree.components?.length ?? -1;
    }
    const ms = performance.now() - started;
    clearInterval(sampler);
    sampledPeakBytes = Math.max(sampledPeakBytes, process.memoryUsage.rss());
    return {
      mode,
      documentBytes,
      ms,
      rssBeforeBytes,
      peakRssBytes: peakRss(),
      peakSource: reset ? 'VmHWM after reset' : 'lifetime peak (VmHWM could not be reset)',
      sampledPeakBytes,
      items,
    };
  } finally {
    await world.close();
  }
}

async function serve(): Promise<void> {
  const world = await intakeWorld(process.env);
  try {
    const intentId = await world.newIntent();
    const { app, port } = await listen(world.container);
    const ready: ServeReport = { mode: 'serve', port, token: world.token, intentId };
    process.send?.(ready);
    await once(process, 'message');
    await app.close();
  } finally {
    await world.close();
  }
}

async function hashServe(): Promise<void> {
  const server = createServer((request, response) => {
    const hash = createHash('sha256');
    request.on('data', (chunk: Buffer) => hash.update(chunk));
    request.on('end', () => {
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ sha256: hash.digest('hex') }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const ready: ServeReport = { mode: 'serve', port: address.port, token: '', intentId: '' };
  process.send?.(ready);
  await once(process, 'message');
  server.close();
  server.closeAllConnections();
}

const [mode, file, kind, warmUpFile] = process.argv.slice(2) as [
  IntakeChildMode,
  string,
  DocumentKind,
  string | undefined,
];
if (mode === 'serve' || mode === 'hash-serve') {
  await (mode === 'serve' ? serve() : hashServe());
  process.disconnect?.();
} else {
  process.send?.(await measureMemory(mode, file, kind, warmUpFile));
}
