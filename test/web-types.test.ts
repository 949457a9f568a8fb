import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchemaTypes, SCHEMA_PATH } from '../web/scripts/openapi-types.js';

describe('the dashboard’s API types', () => {
  it('web/src/api/schema.d.ts is what the OpenAPI document generates today', async () => {
    const fresh = await generateSchemaTypes();
    const committed = readFileSync(SCHEMA_PATH, 'utf8');
    // toBe on two 300 kB strings prints an unreadable diff; say what to do instead.
    expect(
      committed === fresh,
      'web/src/api/schema.d.ts is out of date with the API: run `npm run web:types` and commit it',
    ).toBe(true);
  });
});
