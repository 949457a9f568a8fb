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
    });
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
  ])('stops on a bad %s with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
