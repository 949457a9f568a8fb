/**
 * Generates web/src/api/schema.d.ts from the real application's OpenAPI document: the app is
 * built in-process on a temporary SQLite data dir (nothing listens), `app.swagger()` is fed
 * to openapi-typescript. Run with `npm run web:types`; test/web-types.test.ts fails when the
 * committed file and a fresh generation differ.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/config.js';
import { signingKeyFromPem } from '../../src/platform/crypto/signing-key.js';

export const SCHEMA_PATH = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../src/api/schema.d.ts',
);

const HEADER =
  '/**\n * Generated from the OpenAPI document of the cabinet API by web/scripts/openapi-types.ts.\n' +
  ' * Do not edit: run `npm run web:types`.\n */\n\n';

/** The OpenAPI document the server serves at /api/v1/openapi.json. */
export async function openApiDocument(): Promise<OpenAPI3> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabinet-openapi-'));
  try {
    const config = loadConfig({
      CABINET_DATA_DIR: dataDir,
      CABINET_DATABASE_URL: `sqlite:${join(dataDir, 'cabinet.db')}`,
      CABINET_LOG_LEVEL: 'silent',
      // Not the working tree's web/dist: the document must not depend on whether it is built.
      CABINET_WEB_DIR: join(dataDir, 'web'),
    });
    const { privateKey } = generateKeyPairSync('ed25519');
    const signingKey = signingKeyFromPem(
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const container = await createContainer(config, { signingKey });
    try {
      const app = await buildApp(container, { logger: false });
      try {
        await app.ready();
        return app.swagger() as OpenAPI3;
      } finally {
        await app.close();
      }
    } finally {
      await container.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The contents of web/src/api/schema.d.ts, generated afresh. */
export async function generateSchemaTypes(): Promise<string> {
  const ast = await openapiTS(await openApiDocument());
  return HEADER + astToString(ast);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_PATH, await generateSchemaTypes());
  console.log(`wrote ${SCHEMA_PATH}`);
}
