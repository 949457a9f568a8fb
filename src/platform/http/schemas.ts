import { z } from 'zod';
import { problemSchema } from './problem.js';

export const isoDateTime = z.iso.datetime({ offset: true });

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
};

export const idParams = z.strictObject({ id: z.string().min(1).max(100) });

/** Error answers every authenticated route can give, for the OpenAPI document. */
export const commonErrors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
  413: problemSchema,
  422: problemSchema,
} as const;

/**
 * Keyset pagination: callers fetch `limit + 1` rows; the extra row only says whether another
 * page exists, and the last row shown is where the next page starts.
 */
export function pageOf<T extends { id: string }>(
  rows: T[],
  limit: number,
): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? items[items.length - 1]!.id : null };
}
