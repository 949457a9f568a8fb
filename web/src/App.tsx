import { Link } from './router';
import { useRouteId } from './routes';
import { Detail } from './screens/Detail';
import { Gate } from './screens/Gate';
import { Queue } from './screens/Queue';
import { SignIn } from './screens/SignIn';
import { SessionGate, useSession } from './session';

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
      <span className="who">
        {session.user.display_name} ({session.user.email}) · {session.user.roles.join(', ')}
      </span>
      <button type="button" className="secondary" onClick={signOut} disabled={signingOut}>
        Sign out
      </button>
    </header>
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
