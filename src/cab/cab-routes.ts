import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Trx } from '../platform/db/database.js';
import { BadRequestError } from '../platform/errors.js';
import { createOnce } from '../platform/http/idempotency.js';
import { prefersMinimal } from '../platform/http/prefer.js';
import { commonErrors, idParams } from '../platform/http/schemas.js';
import type { ApprovalPolicyService } from './approval-policy-service.js';
import type { CabStatus } from './cab-rules.js';
import {
  approvalPolicyBody,
  approvalPolicySchema,
  approveBody,
  commentBody,
  denyBody,
  envelopeSchema,
  gateQuery,
  gateSchema,
  listQuery,
  postReviewBody,
  requestDetailSchema,
  requestSummarySchema,
  submitBody,
  verifyConditionBody,
} from './cab-schemas.js';
import { BAND_COUNT_CAP, type CabRequestDetail, type CabService } from './cab-service.js';
import type { RequestSort } from './cab-store.js';
import type { CabRequestSummary } from './cab-view.js';

interface Deps {
  database: Database;
  clock: Clock;
  cab: CabService;
  approvalPolicies: ApprovalPolicyService;
}

/** Typed as CabRequestDetail in code; nested pack parts are described as JSON objects. */
const wire = async (detail: Promise<CabRequestDetail>) =>
  (await detail) as unknown as z.infer<typeof requestDetailSchema>;

/** The full request, or with `Prefer: return=minimal` its summary row (detail first: a union
 * answers the first schema a value matches). */
const actionAnswer = z.union([requestDetailSchema, requestSummarySchema]);

const preferHeaders = z.looseObject({
  prefer: z
    .string()
    .max(1_000)
    .optional()
    .describe('RFC 7240; `return=minimal` answers the request summary instead of the full request'),
});

const pageSchema = z.object({
  requests: z.array(requestSummarySchema),
  next_cursor: z.string().nullable(),
});

/** Keyset cursor: the sort value and id of the last row shown, opaque to clients. */
function encodeCursor(row: CabRequestSummary, sort: RequestSort): string {
  const value = sort.endsWith('risk_score') ? row.risk_score : row.submitted_at;
  return Buffer.from(JSON.stringify([sort, value, row.id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: RequestSort): { value: string | number; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 3 &&
    parsed[0] === sort &&
    (typeof parsed[1] === 'number' || typeof parsed[1] === 'string') &&
    typeof parsed[2] === 'string'
  ) {
    return { value: parsed[1], id: parsed[2] };
  }
  throw new BadRequestError(
    'The cursor is not one this listing gave out (or it was given for another sort order).',
    [{ path: 'querystring:cursor', message: 'invalid cursor' }],
    'invalid_cursor',
  );
}

export function registerCabRoutes(app: FastifyInstance, deps: Deps): void {
  const { database, cab, approvalPolicies } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/cab/submit',
    {
      config: { action: 'cab.submit' },
      schema: {
        tags: ['cab'],
        summary: 'Submit an evidence pack (the intent’s latest version) to the CAB',
        description:
          'A standard change (score ≤ 50, no policy violation, no applied exception) is auto_approved at ' +
          'once; anything else waits as pending for the approvals its band requires. `emergency: true` ' +
          'needs one approval and a post-implementation review.',
        body: submitBody,
        response: { 201: requestSummarySchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) => cab.submit(trx, request.ctx, request.body)),
  );

  const list = async (
    query: z.infer<typeof listQuery>,
    statuses: readonly CabStatus[] | undefined,
  ) => {
    const { limit, cursor, sort, status: _status, ...filters } = query;
    const rows = await cab.list({
      ...filters,
      statuses,
      sort,
      after: cursor === undefined ? undefined : decodeCursor(cursor, sort),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      requests: page,
      next_cursor: rows.length > limit && last ? encodeCursor(last, sort) : null,
    };
  };

  r.get(
    '/api/v1/cab/pending',
    {
      config: { action: 'cab.read' },
      schema: {
        tags: ['cab'],
        summary: 'The CAB queue: pending requests, filtered, sorted, cursor-paginated',
        querystring: listQuery,
        response: {
          200: pageSchema.extend({
            counts_by_band: z
              .record(z.string(), z.number())
              .nullable()
              .describe(
                `Pending requests per band (bands with none left out), with the first page only (null after it); each band counted up to ${BAND_COUNT_CAP.toLocaleString('en-US')}`,
              ),
            counts_over_cap: z
              .array(z.string())
              .nullable()
              .describe(
                `The bands with more pending requests than counts_by_band says (${BAND_COUNT_CAP.toLocaleString('en-US')}+)`,
              ),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { status } = request.query;
      // The queue is the pending requests; another status filter leaves nothing in it.
      const statuses: CabStatus[] = status === undefined || status === 'pending' ? ['pending'] : [];
      const page =
        statuses.length === 0
          ? { requests: [], next_cursor: null }
          : await list(request.query, statuses);
      // Counted once, with the first page: paging on does not count the queue again.
      const counted =
        request.query.cursor === undefined ? await cab.countsByBand(['pending']) : null;
      return {
        ...page,
        counts_by_band: counted?.counts ?? null,
        counts_over_cap: counted?.over ?? null,
      };
    },
  );

  r.get(
    '/api/v1/cab/requests',
    {
      config: { action: 'cab.read' },
      schema: {
        tags: ['cab'],
        summary: 'Every CAB request, any status, with the same filters, sorting and paging',
        querystring: listQuery,
        response: { 200: pageSchema, ...commonErrors },
      },
    },
    async (request) =>
      list(request.query, request.query.status ? [request.query.status] : undefined),
  );

  r.get(
    '/api/v1/cab/:id',
    {
      config: { action: 'cab.read' },
      schema: {
        tags: ['cab'],
        summary:
          'One request with its pack summary, risk breakdown, policy result, exceptions, diff to the previous version, votes, comments and audit events',
        params: idParams,
        response: { 200: requestDetailSchema, ...commonErrors },
      },
    },
    async (request) => wire(cab.detail(request.params.id)),
  );

  // Each action answers with the request as it stands after it: a client never needs a
  // second call to learn the outcome. The transaction holds only the change; the read follows.
  // `Prefer: return=minimal` (RFC 7240) answers the queue's row of it instead: the status and
  // votes a pipeline or bot acts on, without reading the pack back for the full view.
  const act = (
    url: string,
    action: 'cab.vote' | 'cab.verify_condition' | 'cab.comment' | 'cab.post_review',
    summary: string,
    body: z.ZodType,
    params: z.ZodType,
    run: (trx: Trx, ctx: Context, params: Record<string, string>, body: never) => Promise<void>,
  ) =>
    r.post(
      url,
      {
        config: { action },
        schema: {
          tags: ['cab'],
          summary,
          params,
          body,
          headers: preferHeaders,
          response: { 200: actionAnswer, ...commonErrors },
        },
      },
      async (request, reply) => {
        const p = request.params as Record<string, string>;
        // The body was validated against this route's schema; each action names its own type.
        await database.transaction((trx) => run(trx, request.ctx, p, request.body as never));
        reply.header('vary', 'Prefer');
        if (prefersMinimal(request.headers.prefer)) {
          reply.header('preference-applied', 'return=minimal');
          return cab.summary(p.id!);
        }
        return wire(cab.detail(p.id!));
      },
    );

  act(
    '/api/v1/cab/:id/approve',
    'cab.vote',
    'Vote to approve, optionally with conditions (CAB member, not the submitter)',
    approveBody,
    idParams,
    (trx, ctx, p, body: z.infer<typeof approveBody>) => cab.approve(trx, ctx, p.id!, body),
  );
  act(
    '/api/v1/cab/:id/deny',
    'cab.vote',
    'Deny (a veto: the request ends denied); the reason is required',
    denyBody,
    idParams,
    (trx, ctx, p, body: z.infer<typeof denyBody>) => cab.deny(trx, ctx, p.id!, body.reason),
  );
  act(
    '/api/v1/cab/:id/comments',
    'cab.comment',
    'Add a comment to the request’s discussion',
    commentBody,
    idParams,
    (trx, ctx, p, body: z.infer<typeof commentBody>) => cab.comment(trx, ctx, p.id!, body.text),
  );
  act(
    '/api/v1/cab/:id/conditions/:condition_id/verify',
    'cab.verify_condition',
    'Mark a condition of the approval verified (CAB member, not the submitter)',
    verifyConditionBody,
    z.strictObject({ id: z.string().min(1).max(100), condition_id: z.string().min(1).max(100) }),
    (trx, ctx, p, body: z.infer<typeof verifyConditionBody>) =>
      cab.verifyCondition(trx, ctx, p.id!, p.condition_id!, body.notes),
  );
  act(
    '/api/v1/cab/:id/post-review',
    'cab.post_review',
    'Record the post-implementation review of an approved emergency change',
    postReviewBody,
    idParams,
    (trx, ctx, p, body: z.infer<typeof postReviewBody>) => cab.postReview(trx, ctx, p.id!, body),
  );

  r.get(
    '/api/v1/cab/:id/gate',
    {
      config: { action: 'cab.gate' },
      schema: {
        tags: ['cab'],
        summary: 'May this ring start now? Re-checked at every call; names every reason it may not',
        params: idParams,
        querystring: gateQuery,
        response: { 200: gateSchema, ...commonErrors },
      },
    },
    async (request) => cab.gate(request.params.id, request.query.ring),
  );

  r.get(
    '/api/v1/cab/:id/attestation',
    {
      config: { action: 'cab.read' },
      schema: {
        tags: ['cab'],
        summary:
          'The decision attestation of an approval: DSSE over an in-toto Statement (urn:cabinet:cab-decision:v1)',
        params: idParams,
        response: { 200: envelopeSchema, ...commonErrors },
      },
    },
    async (request) => cab.attestation(request.params.id),
  );

  r.get(
    '/api/v1/approval-policies',
    {
      config: { action: 'approval_policies.read' },
      schema: {
        tags: ['cab'],
        summary: 'Every approval policy version, oldest first; the last is in force',
        response: {
          200: z.object({ approval_policies: z.array(approvalPolicySchema), current: z.string() }),
          ...commonErrors,
        },
      },
    },
    async () => {
      const all = await approvalPolicies.list();
      return { approval_policies: all, current: all.at(-1)!.version };
    },
  );

  r.get(
    '/api/v1/approval-policies/:version',
    {
      config: { action: 'approval_policies.read' },
      schema: {
        tags: ['cab'],
        summary: 'One approval policy version',
        params: z.strictObject({ version: z.string().min(1).max(20) }),
        response: { 200: approvalPolicySchema, ...commonErrors },
      },
    },
    async (request) => approvalPolicies.get(request.params.version),
  );

  r.post(
    '/api/v1/approval-policies',
    {
      config: { action: 'approval_policies.manage' },
      schema: {
        tags: ['cab'],
        summary:
          'Put a new approval policy version in force for requests submitted from now on (admin)',
        body: approvalPolicyBody,
        response: { 201: approvalPolicySchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        approvalPolicies.add(trx, request.ctx, request.body),
      ),
  );
}
