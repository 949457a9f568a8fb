/**
 * The client side of the artifact upload benches: files written in pieces (never whole in
 * memory), a mark that makes every round a new artifact, and a streamed POST to a server child.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import type { RunningServer } from './intake-processes.js';

const MB = 1024 * 1024;

/** Random bytes written in pieces (never the whole file in memory). */
export function writeRandomFile(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  try {
    const piece = Buffer.allocUnsafe(16 * MB);
    for (let written = 0; written < bytes; written += piece.length) {
      randomFillSync(piece);
      writeSync(fd, piece, 0, Math.min(piece.length, bytes - written));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the round number at `offset` (default the first bytes): every round uploads a new
 * artifact, never a dedup hit.
 */
export function stamp(file: string, round: number, offset = 0): void {
  const fd = openSync(file, 'r+');
  try {
    const mark = Buffer.alloc(8);
    mark.writeUInt32BE(round + 1, 4);
    writeSync(fd, mark, 0, mark.length, offset);
  } finally {
    closeSync(fd);
  }
}

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** POST /api/v1/artifacts streamed from `file`; resolves with the answer (201 expected). */
export function uploadFileAnswer(
  server: RunningServer,
  file: string,
  size: number,
  filename: string,
): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: `/api/v1/artifacts?filename=${encodeURIComponent(filename)}&publisher=bench`,
      headers: {
        authorization: `Bearer ${server.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
      },
    });
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        body += text;
      });
      response.on('end', () => {
        if (response.statusCode !== 201) {
          fail(new Error(`upload answered ${response.statusCode}: ${body.slice(0, 300)}`));
        } else {
          done(JSON.parse(body) as Record<string, unknown>);
        }
      });
    });
    req.on('error', fail);
    pipeline(createReadStream(file), req).catch(fail);
  });
}

/** uploadFileAnswer, keeping only the digest the server answered. */
export async function uploadFile(
  server: RunningServer,
  file: string,
  size: number,
  filename: string,
): Promise<string> {
  return (await uploadFileAnswer(server, file, size, filename)).sha256 as string;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}
