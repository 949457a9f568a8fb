import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'cab_';

/** A new bearer token: 32 random bytes, base64url; only its SHA-256 is ever stored. */
export function generateToken(): { token: string; hash: string; prefix: string } {
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), prefix: token.slice(0, PREFIX.length + 6) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
