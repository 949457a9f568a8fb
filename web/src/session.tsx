import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { api, type components, setUnauthorizedListener, unwrap } from './api/client';

export type Session = components['schemas']['Session'];

/**
 * Whether this browser signed in (not a secret: the session itself is an HttpOnly cookie the
 * app cannot read). Without it the app shows the sign-in screen at once instead of asking the
 * server for a session it knows is not there.
 */
const HINT = 'cabinet.signed-in';

export const SESSION_KEY = ['session'] as const;

interface Notice {
  reason?: string | undefined;
  detail: string;
}

interface SessionContextValue {
  session: Session;
  signOut: () => void;
  signingOut: boolean;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in screen');
  return value;
}

export function hasRole(session: Session, role: Session['user']['roles'][number]): boolean {
  return session.user.roles.includes(role);
}

export function SessionGate({
  signIn,
  children,
}: {
  signIn: (props: { notice: Notice | null; onSignedIn: (s: Session) => void }) => ReactNode;
  children: ReactNode;
}) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<Notice | null>(null);

  useEffect(() => {
    // A 401 from any call ends the session here: back to sign-in, with the server's reason.
    setUnauthorizedListener((reason, detail) => {
      localStorage.removeItem(HINT);
      setNotice({
        reason,
        detail:
          reason === 'session_expired'
            ? 'Your session expired. Sign in again.'
            : (detail ?? 'You are signed out.'),
      });
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
      queryClient.setQueryData(SESSION_KEY, null);
    });
  }, [queryClient]);

  const session = useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<Session | null> => {
      if (!localStorage.getItem(HINT)) return null;
      const result = await api.GET('/api/v1/session');
      if (result.response.status === 401) return null;
      return unwrap(result);
    },
    staleTime: Number.POSITIVE_INFINITY,
  });

  const signOut = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/api/v1/session')),
    onSettled: () => {
      localStorage.removeItem(HINT);
      setNotice({ detail: 'You signed out.' });
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, null);
    },
  });

  if (session.isPending) {
    return (
      <p className="loading" role="status">
        Checking your session…
      </p>
    );
  }
  if (session.isError) {
    return (
      <main id="main" className="signin">
        <h1>cabinet</h1>
        <div className="error" role="alert">
          <p>Could not check your session: {session.error.message}</p>
          <button type="button" onClick={() => session.refetch()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (!session.data) {
    return signIn({
      notice,
      onSignedIn: (s) => {
        localStorage.setItem(HINT, '1');
        setNotice(null);
        queryClient.setQueryData(SESSION_KEY, s);
      },
    });
  }
  return (
    <SessionContext.Provider
      value={{
        session: session.data,
        signOut: () => signOut.mutate(),
        signingOut: signOut.isPending,
      }}
    >
      {children}
    </SessionContext.Provider>
  );
}
