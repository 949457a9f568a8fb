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
  const title = error instanceof ApiError ? error.problem.title : undefined;
  return (
    <div className="error" role="alert">
      <p>
        <strong>{what ? `Could not load ${what}` : (title ?? 'Refused')}:</strong> {detail}
        <ReasonCode error={error} />
      </p>
      <ProblemErrors error={error} />
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

/** A problem's reason code after its sentence, when it has one. */
export function ReasonCode({ error }: { error: unknown }) {
  if (!(error instanceof ApiError) || !error.reason) return null;
  return (
    <>
      {' '}
      <code className="reason">{error.reason}</code>
    </>
  );
}

/** A problem's located errors (JSON pointer and message), when it has any. */
export function ProblemErrors({ error }: { error: unknown }) {
  if (!(error instanceof ApiError) || !error.problem.errors?.length) return null;
  return (
    <ul>
      {error.problem.errors.map((e) => (
        <li key={`${e.path}:${e.message}`}>
          <code>{e.path}</code>: {e.message}
        </li>
      ))}
    </ul>
  );
}
