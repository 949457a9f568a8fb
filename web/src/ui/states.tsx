import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A failed call, in the server's words (problem+json `detail`), with its reason code. */
export function ErrorMessage({
  error,
  what,
  retry,
}: {
  error: unknown;
  what?: string;
  retry?: () => void;
}) {
  const detail = error instanceof Error ? error.message : String(error);
  const reason = error instanceof ApiError ? error.reason : undefined;
  const title = error instanceof ApiError ? error.problem.title : undefined;
  return (
    <div className="error" role="alert">
      <p>
        <strong>{what ? `Could not load ${what}` : (title ?? 'Refused')}:</strong> {detail}
        {reason ? (
          <>
            {' '}
            <code className="reason">{reason}</code>
          </>
        ) : null}
      </p>
      {error instanceof ApiError && error.problem.errors?.length ? (
        <ul>
          {error.problem.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Section({
  title,
  id,
  children,
}: {
  title: string;
  id: string;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={id} className="card">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
