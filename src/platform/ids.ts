import { randomBytes } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * UUIDv7 (RFC 9562): time-ordered, so ids sort by creation and serve as keyset cursors.
 * The timestamp comes from the injected clock. Within one process ids are strictly
 * increasing even when the clock stands still (a test clock) or steps back: the 12-bit
 * `rand_a` field carries a counter (RFC 9562, method 1), and the time never goes backwards.
 */
export function uuidv7(nowMs: number): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = 0;
  } else {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
  }
  const bytes = randomBytes(16);
  let ms = BigInt(lastMs);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(ms & 0xffn);
    ms >>= 8n;
  }
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
