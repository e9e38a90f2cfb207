// Sign-in with an API key. The key is checked with GET /v1/me and kept in this tab's sessionStorage;
// agent and service keys are refused with a plain reason.

import { type FormEvent, useState } from 'react';
import { ErrorBox } from '../components.js';

export function SignIn({ onSignIn, error }: { onSignIn(key: string): Promise<void>; error: unknown }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    await onSignIn(key.trim()).catch(() => {});
    setBusy(false);
  };
  return (
    <main className="sign-in" id="main">
      <h1>
        <span className="logo" aria-hidden="true">
          ◆
        </span>{' '}
        Carapace console
      </h1>
      <p>
        Sign in with an <strong>admin</strong>, <strong>approver</strong> or <strong>auditor</strong> API key.{' '}
        <code>npm start</code> prints a dev admin key once.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="cpk_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          required
          aria-describedby="key-note"
        />
        <p id="key-note" className="hint">
          Kept in this tab only (session storage), never in a URL. Sign out removes it.
        </p>
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error ? <ErrorBox error={error} /> : null}
    </main>
  );
}
