import { Transform } from 'node:stream';

const MIB = 1024 * 1024;

/** Binary units, named as such: 1024-based figures labelled "MB" or "kB" read as decimal ones. */
export function formatBytes(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** A textual progress bar: `[########------------] 40% 12.0 MiB/30.0 MiB`. */
export function progressLine(label: string, done: number, total: number): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * 20);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${Math.floor(ratio * 100)}% ${formatBytes(done)}/${formatBytes(total)}`;
}

/**
 * Counts bytes as they pass and reports at every tenth of the total, so a long upload
 * shows it is moving without flooding a log. The last line is written with the last byte,
 * not when the source ends: the server can answer before the file's end-of-stream event
 * arrives, and a command that returned would then never show its 100 %.
 */
export function progressMeter(
  label: string,
  total: number,
  report: (line: string) => void,
): Transform {
  let done = 0;
  let lastTenth = -1;
  let finished = false;
  const finish = () => {
    finished = true;
    report(progressLine(label, done, total));
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      if (done >= total) {
        if (!finished) finish();
      } else {
        const tenth = Math.floor((done * 10) / total);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          report(progressLine(label, done, total));
        }
      }
      callback(null, chunk);
    },
    flush(callback) {
      // A file that shrank after it was measured, or an empty one, still ends on a line.
      if (!finished) finish();
      callback();
    },
  });
}
