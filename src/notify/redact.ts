/**
 * Keeping SMTP credentials out of error texts and logs. The SMTP URL may carry
 * `user:pass@`; a server's reply or a library's error may quote the URL, the password or
 * the AUTH exchange (base64), so every form of the secret is replaced, not only the URL.
 */

/**
 * `scheme://…@`: everything up to the last `@` before a `/` or a line end, so a password
 * with spaces or an unencoded `@` is masked whole (masking a little too much is the safe
 * side of this).
 */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^/\r\n]*@/gi;

/** The URL with any `user:pass@` replaced by `***@` (a URL that does not parse: the pattern). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    return url.replace(URL_CREDENTIALS, '$1***@');
  }
}

/** Every spelling of the URL's credentials that could show up in a message. */
export function secretsOf(url: string | null): string[] {
  if (!url) return [];
  let user = '';
  let pass = '';
  let rawPass = '';
  try {
    const parsed = new URL(url);
    rawPass = parsed.password;
    user = safeDecode(parsed.username);
    pass = safeDecode(parsed.password);
  } catch {
    return [];
  }
  if (!pass) return [];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const forms = [
    pass,
    rawPass,
    encodeURIComponent(pass),
    b64(pass),
    // AUTH PLAIN sends base64("\0user\0pass") (sometimes with the user as authzid too).
    b64(`\u0000${user}\u0000${pass}`),
    b64(`${user}\u0000${user}\u0000${pass}`),
    b64(`${user}:${pass}`),
  ];
  // Longest first, so a shorter form inside a longer one does not leave a tail behind.
  return [...new Set(forms.filter((f) => f.length >= 3))].sort((a, b) => b.length - a.length);
}

/** `text` with URL credentials and each of `secrets` replaced by `***`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_CREDENTIALS, '$1***@');
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
