import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { Session } from '../session';
import { ErrorMessage } from '../ui/states';

export function SignIn({
  notice,
  onSignedIn,
}: {
  notice: { reason?: string | undefined; detail: string } | null;
  onSignedIn: (session: Session) => void;
}) {
  const [token, setToken] = useState('');
  const tokenId = useId();
  const hintId = useId();
  const signIn = useMutation({
    mutationFn: async (value: string) =>
      unwrap(await api.POST('/api/v1/session', { body: { token: value } })),
    onSuccess: (session) => {
      setToken('');
      onSignedIn(session);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) signIn.mutate(token.trim());
  };
  return (
    <main id="main" className="signin">
      <h1>cabinet — sign in</h1>
      {notice ? (
        <p className="notice" role="status">
          {notice.detail}
          {notice.reason ? (
            <>
              {' '}
              <code className="reason">{notice.reason}</code>
            </>
          ) : null}
        </p>
      ) : null}
      <form onSubmit={submit} className="card">
        <label htmlFor={tokenId}>API token</label>
        <input
          id={tokenId}
          name="token"
          type="password"
          autoComplete="off"
          required
          aria-describedby={hintId}
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <p id={hintId} className="hint">
          Your cabinet API token. It is exchanged for a session cookie and not stored by the
          browser.
        </p>
        <button type="submit" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        {signIn.isError ? <ErrorMessage error={signIn.error} /> : null}
      </form>
    </main>
  );
}
