import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to SQLite in ./data on 127.0.0.1:8080', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: resolve('data'),
      databaseUrl: `sqlite:${resolve('data', 'cabinet.db')}`,
      signingKeyFile: resolve('data', 'signing-key.pem'),
      generateSigningKey: true,
      smtpUrl: null,
      logLevel: 'info',
      maxBodyBytes: 1_048_576,
      maxUploadBytes: 1_073_741_824,
      staleUploadHours: 24,
      mailFrom: 'cabinet <cabinet@localhost>',
      publicUrl: 'http://127.0.0.1:8080',
      exceptionReminderDays: [7, 1],
      sessionHours: 8,
      webDir: resolve('web', 'dist'),
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      CABINET_PORT: '9000',
      CABINET_HOST: '0.0.0.0',
      CABINET_DATA_DIR: '/tmp/cab',
      CABINET_DATABASE_URL: 'postgres://u@127.0.0.1/db',
      CABINET_SIGNING_KEY_FILE: '/keys/k.pem',
      CABINET_SMTP_URL: 'smtp://127.0.0.1:2525',
      CABINET_LOG_LEVEL: 'debug',
      CABINET_MAX_UPLOAD_BYTES: '2048',
      CABINET_MAX_BODY_BYTES: '4096',
      CABINET_CHECKPOINT_INTERVAL_SECONDS: '5',
      CABINET_STALE_UPLOAD_HOURS: '2',
      CABINET_MAIL_FROM: '"CAB, Team" <cab@example.org>',
      CABINET_PUBLIC_URL: 'https://cabinet.example.org/cab/',
      CABINET_EXCEPTION_REMINDER_DAYS: '1, 14,7,7',
      CABINET_SESSION_HOURS: '12',
      CABINET_WEB_DIR: '/srv/cabinet-web',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      dataDir: '/tmp/cab',
      databaseUrl: 'postgres://u@127.0.0.1/db',
      signingKeyFile: '/keys/k.pem',
      generateSigningKey: false,
      smtpUrl: 'smtp://127.0.0.1:2525',
      logLevel: 'debug',
      maxUploadBytes: 2048,
      maxBodyBytes: 4096,
      checkpointIntervalSeconds: 5,
      staleUploadHours: 2,
      mailFrom: '"CAB, Team" <cab@example.org>',
      publicUrl: 'https://cabinet.example.org/cab',
      exceptionReminderDays: [14, 7, 1],
      sessionHours: 12,
      webDir: '/srv/cabinet-web',
    });
  });

  it('derives the public URL from host and port, loopback for a wildcard bind', () => {
    expect(loadConfig({ CABINET_PORT: '9000' }).publicUrl).toBe('http://127.0.0.1:9000');
    expect(loadConfig({ CABINET_HOST: '0.0.0.0' }).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ CABINET_HOST: '::' }).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ CABINET_HOST: '::1' }).publicUrl).toBe('http://[::1]:8080');
    expect(loadConfig({ CABINET_HOST: 'cab.internal' }).publicUrl).toBe('http://cab.internal:8080');
  });

  it.each([
    'cabinet@example.org',
    'Cabinet <cabinet@example.org>',
    'Cabinet CAB<cab@mail.example.org>',
    '"Cabinet, the CAB" <cab@example.org>',
    'cabinet <cabinet@localhost>',
  ])('accepts the From %s', (from) => {
    expect(loadConfig({ CABINET_MAIL_FROM: from }).mailFrom).toBe(from);
  });

  it('masks the SMTP password when it quotes a bad CABINET_SMTP_URL', () => {
    for (const url of ['http://mailer:hunter2@mx.example.org', 'smtp://mailer:hunter2@mx/x?y']) {
      expect(() => loadConfig({ CABINET_SMTP_URL: url })).toThrow(/CABINET_SMTP_URL: .*\*\*\*@/);
      try {
        loadConfig({ CABINET_SMTP_URL: url });
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });

  it('quotes a bad value bounded', () => {
    const long = `x${'y'.repeat(10_000)}`;
    try {
      loadConfig({ CABINET_MAIL_FROM: long });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(400);
    }
  });

  it.each([
    [
      'CABINET_PORT',
      'abc',
      /CABINET_PORT: must be a whole number between 0 and 65535 \(got "abc"\)/,
    ],
    ['CABINET_PORT', '70000', /CABINET_PORT: .*65535/],
    ['CABINET_DATABASE_URL', 'mysql://x', /CABINET_DATABASE_URL: must start with postgres/],
    ['CABINET_LOG_LEVEL', 'loud', /CABINET_LOG_LEVEL: .*"loud"/],
    ['CABINET_SMTP_URL', 'http://x', /CABINET_SMTP_URL: must start with smtp/],
    ['CABINET_MAX_BODY_BYTES', '10', /CABINET_MAX_BODY_BYTES/],
    ['CABINET_STALE_UPLOAD_HOURS', '0', /CABINET_STALE_UPLOAD_HOURS/],
    ['CABINET_SESSION_HOURS', '0', /CABINET_SESSION_HOURS: .*\(got "0"\)/],
    ['CABINET_SESSION_HOURS', '721', /CABINET_SESSION_HOURS/],
    ['CABINET_SMTP_URL', 'smtp://', /CABINET_SMTP_URL: must be smtp:\/\/\[user:password@\]host/],
    ['CABINET_SMTP_URL', 'smtp://h?tls.rejectUnauthorized=false', /no path, query or fragment/],
    ['CABINET_MAIL_FROM', 'cabinet', /CABINET_MAIL_FROM: must be an address .* \(got "cabinet"\)/],
    ['CABINET_MAIL_FROM', 'a, b <x@example.org>', /CABINET_MAIL_FROM: must be an address/],
    ['CABINET_MAIL_FROM', 'C <c@example.org>\r\nBcc: x@example.org', /CABINET_MAIL_FROM/],
    ['CABINET_MAIL_FROM', '<c@example.org>', /CABINET_MAIL_FROM/],
    [
      'CABINET_PUBLIC_URL',
      'ftp://cab.example.org',
      /CABINET_PUBLIC_URL: must be an http:\/\/ or https:\/\//,
    ],
    ['CABINET_PUBLIC_URL', 'cab.example.org', /CABINET_PUBLIC_URL/],
    ['CABINET_PUBLIC_URL', 'https://u:p@cab.example.org', /no credentials/],
    ['CABINET_PUBLIC_URL', 'https://cab.example.org/?x=1', /query/],
    ['CABINET_EXCEPTION_REMINDER_DAYS', '7,,1', /comma-separated list of whole numbers/],
    ['CABINET_EXCEPTION_REMINDER_DAYS', '7;1', /such as 7,1 \(got "7;1"\)/],
    ['CABINET_EXCEPTION_REMINDER_DAYS', '0', /each day count must be between 1 and 3650/],
    ['CABINET_EXCEPTION_REMINDER_DAYS', '-1', /CABINET_EXCEPTION_REMINDER_DAYS/],
    ['CABINET_EXCEPTION_REMINDER_DAYS', '3651', /between 1 and 3650/],
  ])('stops on a bad %s with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
