// The console's shell: sign-in, the navigation the role allows, the shared live audit stream, and the
// page the URL's hash names (#/decisions, #/decisions/42, #/reviews, …). Hash routes need nothing from
// the server but index.html, and a key is never part of any URL.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, callApi } from './api.js';
import { openEventStream, type StreamStatus } from './event_stream.js';
import { type AuditEvent, type LiveEvents, LiveEventsContext } from './live_events.js';
import { AgentsPage } from './pages/agents.js';
import { AuditPage } from './pages/audit.js';
import { BeforeAfterPage } from './pages/before_after.js';
import { ChannelsPage } from './pages/channels.js';
import { DecisionPage } from './pages/decision.js';
import { DecisionsPage } from './pages/decisions.js';
import { InstructionsPage } from './pages/instructions.js';
import { PolicyPage } from './pages/policy.js';
import { ReviewsPage } from './pages/reviews.js';
import { SignIn } from './pages/sign_in.js';
import {
  CONSOLE_ROLES,
  type Principal,
  type Session,
  SessionContext,
  storedKey,
  storeKey,
  useSession,
} from './session.js';

type Role = Principal['role'];
interface PageLink {
  path: string;
  label: string;
  roles: readonly Role[];
}

const PAGES: PageLink[] = [
  { path: 'decisions', label: 'Decisions', roles: ['admin', 'auditor', 'approver'] },
  { path: 'reviews', label: 'Reviews', roles: ['admin', 'auditor', 'approver'] },
  { path: 'audit', label: 'Audit', roles: ['admin', 'auditor'] },
  { path: 'agents', label: 'Agents & trust', roles: ['admin', 'auditor'] },
  { path: 'channels', label: 'Channels', roles: ['admin', 'auditor'] },
  { path: 'instructions', label: 'Instructions', roles: ['admin', 'auditor'] },
  { path: 'policy', label: 'Policy', roles: ['admin', 'auditor', 'approver'] },
  { path: 'before-after', label: 'Before / After', roles: ['admin', 'auditor', 'approver'] },
];

function useHashRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Checks a key with the gateway; refuses roles that do not operate the console. */
async function principalFor(key: string): Promise<Principal> {
  const principal = await callApi<Principal>(key, 'GET', '/v1/me');
  if (!(CONSOLE_ROLES as readonly string[]).includes(principal.role))
    throw new ApiError(
      403,
      'E_CONSOLE_ROLE',
      `an ${principal.role} key calls the API; the console is for admin, approver and auditor keys`,
      `${principal.role} keys cannot sign in to the console`,
    );
  return principal;
}

export function App() {
  const [session, setSession] = useState<{ key: string; principal: Principal } | null>(null);
  const [restoring, setRestoring] = useState(() => storedKey() !== null);
  const [signInError, setSignInError] = useState<unknown>(null);

  const signIn = useCallback(async (key: string) => {
    try {
      const principal = await principalFor(key);
      storeKey(key);
      setSession({ key, principal });
      setSignInError(null);
    } catch (e) {
      storeKey(null);
      setSession(null);
      setSignInError(e);
      throw e;
    }
  }, []);

  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    principalFor(key)
      .then(
        (principal) => setSession({ key, principal }),
        () => storeKey(null),
      )
      .finally(() => setRestoring(false));
  }, []);

  const signOut = useCallback(() => {
    storeKey(null);
    setSession(null);
    window.location.hash = '';
  }, []);

  if (restoring) return <p className="state state-loading">Signing in…</p>;
  if (!session) return <SignIn onSignIn={signIn} error={signInError} />;
  return (
    <SessionContext.Provider value={{ ...session, signOut, switchKey: signIn } satisfies Session}>
      <Shell />
    </SessionContext.Provider>
  );
}

function Shell() {
  const route = useHashRoute();
  const session = useSession();
  const live = useLiveAudit(session.key);
  const allowed = PAGES.filter((p) => p.roles.includes(session.principal.role));
  const page = route[0] ?? allowed[0]?.path ?? 'decisions';
  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => {
    mainRef.current?.focus({ preventScroll: true });
  }, [page]);

  return (
    <LiveEventsContext.Provider value={live}>
      <a className="skip" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Carapace
        </div>
        <nav aria-label="Console pages">
          <ul>
            {allowed.map((p) => (
              <li key={p.path}>
                <a href={`#/${p.path}`} aria-current={page === p.path ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className={`live live-${live.status}`} role="status" aria-live="polite">
            {live.status === 'live' ? 'Live' : live.status === 'refused' ? 'Stream refused' : 'Connecting…'}
          </span>
          <span className="principal" title={session.principal.id}>
            {session.principal.name} <span className="role">{session.principal.role}</span>
          </span>
          <button type="button" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Page page={page} route={route} role={session.principal.role} allowed={allowed} />
      </main>
    </LiveEventsContext.Provider>
  );
}

function Page({
  page,
  route,
  role,
  allowed,
}: {
  page: string;
  route: string[];
  role: Role;
  allowed: PageLink[];
}) {
  if (!allowed.some((p) => p.path === page))
    return (
      <section>
        <h1>Not available</h1>
        <p>
          This page is not available to the <strong>{role}</strong> role, or it does not exist.
        </p>
      </section>
    );
  switch (page) {
    case 'decisions':
      return route[1] ? <DecisionPage seq={route[1]} /> : <DecisionsPage />;
    case 'reviews':
      return <ReviewsPage />;
    case 'audit':
      return <AuditPage />;
    case 'agents':
      return <AgentsPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'instructions':
      return <InstructionsPage />;
    case 'policy':
      return <PolicyPage />;
    default:
      return <BeforeAfterPage />;
  }
}

/** The shared live audit stream: from the log's end at sign-in, resumed after the last seq on reconnect. */
function useLiveAudit(key: string): LiveEvents {
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const listeners = useRef(new Set<(event: AuditEvent) => void>());
  useEffect(() => {
    return openEventStream({
      key,
      path: '/v1/events',
      onStatus: (s) => setStatus(s),
      onEvent: (event, data) => {
        if (event !== 'audit') return;
        for (const listener of [...listeners.current]) listener(data as AuditEvent);
      },
    });
  }, [key]);
  return useMemo(
    () => ({
      status,
      subscribe(listener: (event: AuditEvent) => void) {
        listeners.current.add(listener);
        return () => {
          listeners.current.delete(listener);
        };
      },
    }),
    [status],
  );
}
