import { Link } from './router';
import { useRouteId } from './routes';
import { Audit } from './screens/Audit';
import { Detail } from './screens/Detail';
import { Exceptions } from './screens/Exceptions';
import { Gate } from './screens/Gate';
import { Mine } from './screens/Mine';
import { Outbox } from './screens/Outbox';
import { Queue } from './screens/Queue';
import { SignIn } from './screens/SignIn';
import { hasRole, SessionGate, useSession } from './session';

export function App() {
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <SessionGate signIn={(props) => <SignIn {...props} />}>
        <Header />
        <Screen />
      </SessionGate>
    </>
  );
}

function Header() {
  const { session, signOut, signingOut } = useSession();
  return (
    <header className="top">
      <Link to="/" className="brand">
        cabinet
      </Link>
      <nav aria-label="Main" className="nav">
        {hasRole(session, 'submitter') ? <Link to="/mine">My intents</Link> : null}
        <Link to="/exceptions">Exceptions</Link>
      </nav>
      <AuditNav />
      <span className="who">
        {session.user.display_name} ({session.user.email}) · {session.user.roles.join(', ')}
      </span>
      <button type="button" className="secondary" onClick={signOut} disabled={signingOut}>
        Sign out
      </button>
    </header>
  );
}

function AuditNav() {
  const { session } = useSession();
  const admin = hasRole(session, 'admin');
  if (!admin && !hasRole(session, 'auditor')) return null;
  return (
    <nav aria-label="Audit" className="nav">
      <Link to="/audit">Audit log</Link>
      <Link to="/outbox">Outbox</Link>
    </nav>
  );
}

function Screen() {
  const route = useRouteId();
  switch (route.name) {
    case 'request':
      return <Detail key={route.id} id={route.id} />;
    case 'gate':
      return <Gate key={route.id} id={route.id} />;
    case 'queue':
      return <Queue />;
    case 'audit':
      return <Audit />;
    case 'outbox':
      return <Outbox />;
    case 'exceptions':
      return <Exceptions />;
    case 'mine':
      return <Mine />;
    default:
      return (
        <main id="main">
          <h1>Not found</h1>
          <p>
            Nothing here. <Link to="/">Back to the CAB queue</Link>.
          </p>
        </main>
      );
  }
}
