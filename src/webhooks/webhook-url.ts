import { UnprocessableError } from '../platform/errors.js';

/** Longest URL accepted: receivers behind proxies rarely take more, and it bounds every row. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** How much of an untrusted value an error message quotes. */
const QUOTE_LIMIT = 120;

/** Control characters and whitespace: never part of a URL someone meant to type. */
const UNPRINTABLE = /[\s\p{Cc}]/u;

/**
 * A URL as it may be shown: any `user:password@` replaced by `***@`. Credentials are kept for
 * sending (Basic authentication) but never leave the server again: every answer, audit event
 * and error message goes through this. Text that does not parse is redacted the same way, on
 * the raw string, so a typo cannot leak a password into a refusal.
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username === '' && url.password === '') return url.href;
    return `${url.protocol}//***@${url.host}${url.pathname}${url.search}${url.hash}`;
  } catch {
    return raw.replace(/^([^/]*\/\/)[^/?#]*@/, '$1***@');
  }
}

/** A bounded, single-line, redacted rendering of an untrusted URL for an error message. */
function quoted(raw: string): string {
  const flat = redactUrl(raw).replace(/[\s\p{Cc}]+/gu, ' ');
  return JSON.stringify(flat.length > QUOTE_LIMIT ? `${flat.slice(0, QUOTE_LIMIT)}…` : flat);
}

function refuse(message: string): never {
  throw new UnprocessableError(message, [{ path: '/url', message }], 'invalid_webhook_url');
}

/**
 * Checks a webhook URL and answers its normalised form (credentials kept). Only http and
 * https: anything else (file:, ftp:, javascript:, …) would make the server a client of
 * protocols it has no business speaking. No fragment: it is never sent, so a URL carrying
 * one does not mean what its author thinks.
 */
export function parseWebhookUrl(raw: string): string {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    refuse(`The URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters.`);
  }
  if (UNPRINTABLE.test(raw)) refuse(`The URL ${quoted(raw)} contains whitespace or controls.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(`${quoted(raw)} is not an absolute URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    refuse(`The URL ${quoted(raw)} is not http or https: only http:// and https:// are allowed.`);
  }
  if (url.hostname === '') refuse(`The URL ${quoted(raw)} names no host.`);
  if (raw.includes('#')) refuse(`The URL ${quoted(raw)} has a fragment (#…), which is never sent.`);
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) {
    refuse(`The URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters once normalised.`);
  }
  return url.href;
}
