/**
 * Authenticode at upload: a large signed PE (7za.exe grown with an overlay, as self-extracting
 * installers are, and signed with osslsigncode under a test chain whose root is a trust
 * anchor) against a file of the same size that is not a PE, over HTTP to the real app in a
 * child process. The PE's upload also computes the Authenticode digest in the same pass and
 * verifies the PKCS#7 and its chain; the other file gets only today's SHA-256. Every round
 * uploads a new artifact of each (a mark in the first bytes of the plain file; the PE is
 * signed again with a mark in its overlay, so each round's signature is valid).
 * CABINET_BENCH_CPU_PROF=<dir> makes the server write its main thread's V8 CPU profile there
 * (summarise it with bench/cpu-profile-summary.ts); the hash worker's time is not in it.
 */
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthenticodeTestKit, windowsBinary } from '../src/artifacts/authenticode/test-signing.js';
import { systemContext } from '../src/platform/context.js';
import { benchContainer, benchEnv, tempSqlite } from './bench-databases.js';
import { prepareIntakeChild, startServerChild } from './intake-processes.js';
import { intKnob } from './knobs.js';
import type { Reporter } from './reporter.js';
import { stamp, timed, uploadFileAnswer, writeRandomFile } from './upload-client.js';

const MB = 1024 * 1024;
const UPLOAD_MB = intKnob('CABINET_BENCH_AUTHENTICODE_MB', 256, 1);
/** The upload's time swings ±30 % here with SQLite's WAL checkpoints: several rounds each. */
const ROUNDS = intKnob('CABINET_BENCH_AUTHENTICODE_ROUNDS', 8, 1);
/** A pause before each upload, for the previous one's checkpoint and the file writes. */
const SETTLE_MS = 3_000;

export async function run(report: Reporter): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'cabinet-bench-authenticode-'));
  const kit = new AuthenticodeTestKit();
  const database = tempSqlite();
  try {
    const binary = readFileSync(windowsBinary('x64'));
    const overlay = Buffer.alloc(MB, 0x5a);
    /** 7za.exe grown with an overlay to the size, marked in the overlay, then signed. */
    const signed = (round: number): string => {
      const unsigned = join(workDir, `round-${round}.exe`);
      writeFileSync(unsigned, binary);
      for (let size = binary.length; size < UPLOAD_MB * MB; size += overlay.length) {
        appendFileSync(
          unsigned,
          overlay.subarray(0, Math.min(overlay.length, UPLOAD_MB * MB - size)),
        );
      }
      stamp(unsigned, round, binary.length + 4096);
      const file = join(workDir, `round-${round}-signed.exe`);
      writeFileSync(file, kit.sign(unsigned));
      rmSync(unsigned);
      return file;
    };
    const plain = join(workDir, 'plain.bin');

    const store = await benchContainer(database);
    try {
      await store.database.transaction((trx) =>
        store.trustAnchors.add(trx, systemContext(), {
          name: 'Authenticode bench root',
          pem: kit.rootPem,
        }),
      );
    } finally {
      await store.close();
    }

    const child = await prepareIntakeChild(workDir);
    const server = await startServerChild(
      child,
      { ...benchEnv(database), CABINET_MAX_UPLOAD_BYTES: String(2 * UPLOAD_MB * MB) },
      { profileAs: 'authenticode' },
    );
    const times = { plain: [] as number[], signed: [] as number[] };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const pe = signed(round);
        const peSize = statSync(pe).size;
        writeRandomFile(plain, peSize);
        stamp(plain, round);
        // Each upload leaves a large WAL whose truncating checkpoint runs on a worker while
        // the next upload arrives: which file goes first alternates, so neither always pays.
        const uploadPlain = () => timed(() => uploadFileAnswer(server, plain, peSize, 'plain.bin'));
        const uploadPe = () => timed(() => uploadFileAnswer(server, pe, peSize, 'setup.exe'));
        await sleep(SETTLE_MS);
        const first = round % 2 === 0 ? await uploadPlain() : await uploadPe();
        await sleep(SETTLE_MS);
        const second = round % 2 === 0 ? await uploadPe() : await uploadPlain();
        const [baseline, measured] = round % 2 === 0 ? [first, second] : [second, first];
        if (baseline.value.embedded_signature !== null) {
          throw new Error('the plain file was taken for a PE or MSI');
        }
        const verdict = (measured.value.embedded_signature as { report: { status: string } }).report
          .status;
        if (verdict !== 'valid') throw new Error(`the signed PE's verdict was ${verdict}`);
        times.plain.push(baseline.ms);
        times.signed.push(measured.ms);
        rmSync(pe);
      }
    } finally {
      await server.stop();
    }
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    // The statistic is the median of each round's own ratio: a round's two uploads share the
    // machine's state of the moment (a checkpoint, a neighbour's load), which swings the time
    // ±30 % between rounds; the fastest of each kind would pair the luckiest plain round with
    // the luckiest signed one, whichever rounds they were.
    const ratios = times.signed.map((ms, i) => ms / times.plain[i]!);
    report.note(
      `ms by round: plain ${times.plain.map((m) => m.toFixed(0)).join(', ')}; ` +
        `signed PE ${times.signed.map((m) => m.toFixed(0)).join(', ')}; ` +
        `ratios ${ratios.map((r) => r.toFixed(3)).join(', ')}`,
    );
    report.figure({
      name: `upload of a ${UPLOAD_MB} MB signed PE ÷ its round's plain upload (Authenticode)`,
      value: median(ratios),
      unit: '×',
      target: { on: 'value', op: '<=', limit: 1.1 },
      detail:
        'POST /api/v1/artifacts over loopback to the real app in a child process (SQLite), ' +
        'streamed from the file; the PE is hashed twice in the one pass (SHA-256 of the file, ' +
        'Authenticode SHA-256 skipping checksum, directory entry and certificate table), its ' +
        'PKCS#7 and chain checked against the trust anchor; against a file of the same size ' +
        `that is not a PE: median of ${ROUNDS} rounds' ratios, the order alternating, a new ` +
        'artifact every round',
    });
    report.figure({
      name: '  medians: signed PE upload',
      value: median(times.signed),
      unit: 'ms',
      baseline: { name: 'plain upload, median', value: median(times.plain), unit: 'ms' },
    });
    report.figure({
      name: '  fastest: signed PE upload',
      value: Math.min(...times.signed),
      unit: 'ms',
      baseline: { name: 'plain upload, fastest', value: Math.min(...times.plain), unit: 'ms' },
    });
  } finally {
    await database.dispose();
    kit.remove();
    rmSync(workDir, { recursive: true, force: true });
  }
}
