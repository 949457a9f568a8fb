import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { createIntent } from './intake-fixtures.js';
import { rawUpload } from './raw-upload.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const LIMIT = 3 * 1024 * 1024;

describe.each(dbKinds)('artifacts on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { CABINET_MAX_UPLOAD_BYTES: String(LIMIT) } });
    submitter = await t.user(['submitter']);
  });
  afterAll(async () => t.close());

  const upload = (
    body: Buffer,
    query = 'filename=7z2408-x64.exe&publisher=Igor%20Pavlov',
    headers = {},
  ) =>
    t.call({
      method: 'POST',
      url: `/api/v1/artifacts?${query}`,
      payload: body,
      headers: { 'content-type': 'application/octet-stream', ...headers },
      as: submitter,
    });

  it('streams an upload into content-addressed storage, chunked, and serves it back', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 123); // spans three 1 MiB chunks
    const first = await upload(
      bytes,
      'filename=app.msi&publisher=Acme&build_time=2026-01-02T03:04:05Z',
    );
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      sha256: sha(bytes),
      size_bytes: bytes.length,
      publisher: 'Acme',
      filename: 'app.msi',
      build_time: '2026-01-02T03:04:05Z',
      content_stored: true,
      created_by: submitter.id,
    });
    const again = await upload(bytes, 'filename=other.msi&publisher=Acme');
    expect(again.statusCode).toBe(200);
    expect(again.json().filename).toBe('app.msi');

    const parts = await t.container.database.db
      .selectFrom('blob_parts')
      .innerJoin('blobs', 'blobs.parts_upload_id', 'blob_parts.upload_id')
      .select('blob_parts.idx')
      .where('blobs.sha256', '=', sha(bytes))
      .execute();
    expect(parts.map((c) => c.idx).sort()).toEqual([0, 1, 2]);

    const content = await t.call({ method: 'GET', url: `/api/v1/artifacts/${sha(bytes)}/content` });
    expect(content.statusCode).toBe(200);
    expect(sha(content.rawPayload)).toBe(sha(bytes));
    expect(content.headers['content-disposition']).toContain('app.msi');

    const record = await t.call({ method: 'GET', url: `/api/v1/artifacts/${sha(bytes)}` });
    expect(record.json().size_bytes).toBe(bytes.length);
    const audit = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?type=artifact.uploaded&subject=${sha(bytes)}`,
    });
    expect(audit.json().events).toHaveLength(1);
  });

  it('stores an empty artifact too', async () => {
    const empty = await upload(Buffer.alloc(0), 'filename=empty.bin&publisher=Acme');
    expect(empty.statusCode).toBe(201);
    expect(empty.json().sha256).toBe(sha(Buffer.alloc(0)));
    const content = await t.call({
      method: 'GET',
      url: `/api/v1/artifacts/${sha(Buffer.alloc(0))}/content`,
    });
    expect(content.rawPayload.length).toBe(0);
  });

  it('registers an artifact stored elsewhere, then accepts its bytes', async () => {
    const bytes = randomBytes(1000);
    const body = { sha256: sha(bytes), size_bytes: 1000, publisher: 'Acme', filename: 'tool.pkg' };
    const registered = await t.call({
      method: 'POST',
      url: '/api/v1/artifacts/register',
      payload: body,
      as: submitter,
    });
    expect(registered.statusCode).toBe(201);
    expect(registered.json().content_stored).toBe(false);
    const twice = await t.call({
      method: 'POST',
      url: '/api/v1/artifacts/register',
      payload: body,
      as: submitter,
    });
    expect(twice.statusCode).toBe(200);
    const conflict = await t.call({
      method: 'POST',
      url: '/api/v1/artifacts/register',
      payload: { ...body, size_bytes: 999 },
      as: submitter,
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().reason).toBe('artifact_size_mismatch');
    const noContent = await t.call({
      method: 'GET',
      url: `/api/v1/artifacts/${sha(bytes)}/content`,
    });
    expect(noContent.statusCode).toBe(404);

    const uploaded = await upload(bytes, 'filename=tool.pkg&publisher=Acme');
    expect(uploaded.statusCode).toBe(200);
    expect(uploaded.json().content_stored).toBe(true);
    const stored = await upload(bytes, 'filename=tool.pkg&publisher=Acme');
    expect(stored.statusCode).toBe(200);
    const bad = await t.call({
      method: 'POST',
      url: '/api/v1/artifacts/register',
      payload: { ...body, sha256: 'ABC' },
      as: submitter,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('/sha256');
  });

  it('refuses bad metadata and unknown digests with problem+json', async () => {
    const noName = await upload(Buffer.from('x'), 'publisher=Acme');
    expect(noName.statusCode).toBe(400);
    const pathName = await upload(Buffer.from('x'), 'filename=..%2Fetc%2Fpasswd&publisher=Acme');
    expect(pathName.statusCode).toBe(400);
    expect(pathName.json().errors[0]).toMatchObject({ path: 'querystring:/filename' });
    const unknown = await t.call({ method: 'GET', url: `/api/v1/artifacts/${'0'.repeat(64)}` });
    expect(unknown.statusCode).toBe(404);
    const wrongRole = await t.call({
      method: 'POST',
      url: '/api/v1/artifacts?filename=a&publisher=b',
      payload: Buffer.from('x'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(wrongRole.statusCode).toBe(403);
  });

  it('answers 413 from the declared length alone, and for an undeclared stream over the limit', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const declared = await rawUpload(address, submitter.token, {
      declaredLength: LIMIT + 1,
      send: 0,
    });
    expect(declared.status).toBe(413);
    expect(declared.written).toBe(0);
    // No length, far more than the limit: the answer comes long before the sender is done,
    // and other requests are served meanwhile.
    const streamed = rawUpload(address, submitter.token, { send: LIMIT * 20 });
    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    const result = await streamed;
    expect(result.status).toBe(413);
    expect(result.written).toBeLessThan(LIMIT * 20);

    // The same for an evidence document: the answer arrives, never a reset in its place.
    const intent = await createIntent(t, submitter);
    for (let i = 0; i < 3; i++) {
      const evidence = await rawUpload(address, submitter.token, {
        send: LIMIT * 20,
        path: `/api/v1/intents/${intent.intentId}/evidence?kind=sbom`,
      });
      expect(evidence.status).toBe(413);
    }
    const large = await t.container.database.db
      .selectFrom('artifacts')
      .select('sha256')
      .where('size_bytes', '>', LIMIT)
      .execute();
    expect(large).toHaveLength(0);
    const refusals = await t.call({
      method: 'GET',
      url: '/api/v1/audit/events?type=request.refused',
    });
    expect(
      refusals.json().events.filter((e: { data: { status: number } }) => e.data.status === 413),
    ).toHaveLength(5);
  });
});
