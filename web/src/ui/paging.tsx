import { keepPreviousData, type UseQueryResult, useQuery } from '@tanstack/react-query';
import { useState } from 'react';

/** What every cursor-paged list endpoint answers. */
export interface CursorPage {
  next_cursor: string | null;
}

export interface CursorPages<T extends CursorPage> {
  query: UseQueryResult<T>;
  /** 1 for the first page. */
  pageNumber: number;
  hasPrevious: boolean;
  /** False while the shown page is the previous one kept on screen (its cursor is stale). */
  hasNext: boolean;
  previous(): void;
  next(): void;
}

/**
 * One list endpoint read a page at a time with the API's opaque cursors: the cursors of the
 * pages seen so far are kept, so "previous" shows the cached page at once (and refreshes it
 * in the background, as every stale query does). The paging state
 * belongs to `key` (the filters): a different key starts again at page 1, and the page on
 * screen stays there while the next one loads, so the table never jumps.
 */
export function useCursorPages<T extends CursorPage>(
  key: readonly unknown[],
  fetchPage: (cursor: string | undefined) => Promise<T>,
): CursorPages<T> {
  const owner = JSON.stringify(key);
  // [undefined (page 1), cursor of page 2, …], for the filters named by `owner`.
  const [state, setState] = useState<{ owner: string; cursors: (string | undefined)[] }>({
    owner,
    cursors: [undefined],
  });
  const cursors = state.owner === owner ? state.cursors : [undefined];
  const cursor = cursors.at(-1);
  const query = useQuery({
    queryKey: [...key, cursor ?? null],
    queryFn: () => fetchPage(cursor),
    placeholderData: keepPreviousData,
  });
  const nextCursor = query.data?.next_cursor ?? null;
  return {
    query,
    pageNumber: cursors.length,
    hasPrevious: cursors.length > 1,
    hasNext: nextCursor !== null && !query.isPlaceholderData,
    previous: () => setState({ owner, cursors: cursors.slice(0, -1) }),
    next: () => {
      if (nextCursor !== null && !query.isPlaceholderData) {
        setState({ owner, cursors: [...cursors, nextCursor] });
      }
    },
  };
}

/** Previous / page n / next for a useCursorPages list. */
export function Pager<T extends CursorPage>({
  pages,
  label = 'Pages',
}: {
  pages: CursorPages<T>;
  label?: string;
}) {
  return (
    <nav aria-label={label} className="pager">
      <button type="button" disabled={!pages.hasPrevious} onClick={pages.previous}>
        Previous page
      </button>
      <span>Page {pages.pageNumber}</span>
      <button type="button" disabled={!pages.hasNext} onClick={pages.next}>
        Next page
      </button>
    </nav>
  );
}
