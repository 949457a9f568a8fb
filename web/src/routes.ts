import { useLocation } from './router';

export type Route =
  | { name: 'queue' }
  | { name: 'request'; id: string }
  | { name: 'gate'; id: string }
  | { name: 'audit' }
  | { name: 'outbox' }
  | { name: 'exceptions' }
  | { name: 'mine' }
  | { name: 'not_found' };

export function matchRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '/index.html') return { name: 'queue' };
  const request = /^\/requests\/([^/]+)\/?$/.exec(pathname);
  if (request) return { name: 'request', id: decodeURIComponent(request[1]!) };
  const gate = /^\/requests\/([^/]+)\/gate\/?$/.exec(pathname);
  if (gate) return { name: 'gate', id: decodeURIComponent(gate[1]!) };
  if (/^\/audit\/?$/.test(pathname)) return { name: 'audit' };
  if (/^\/outbox\/?$/.test(pathname)) return { name: 'outbox' };
  if (/^\/exceptions\/?$/.test(pathname)) return { name: 'exceptions' };
  if (/^\/mine\/?$/.test(pathname)) return { name: 'mine' };
  return { name: 'not_found' };
}

export function useRouteId(): Route {
  return matchRoute(useLocation().pathname);
}
