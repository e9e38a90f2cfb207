// The signed-in key and who it belongs to. The key lives in this tab's sessionStorage only (gone when
// the tab closes, never in a URL, a cookie or localStorage); signing out removes it.

import { createContext, useContext } from 'react';

export interface Principal {
  id: string;
  name: string;
  role: 'agent' | 'approver' | 'admin' | 'auditor' | 'service';
  channel?: string;
  certified_tier: string;
  disabled: boolean;
  created_at: string;
  parent_id?: string;
  scope?: { tools: string[] };
  revoked_at?: string;
  dpop_required?: boolean;
}

export interface Session {
  key: string;
  principal: Principal;
  signOut(): void;
  /** Signs in with another key in this tab (an approver key an admin just created). */
  switchKey(key: string): Promise<void>;
}

const STORAGE_KEY = 'carapace.console.key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage refused (private mode): the key stays in memory for this page only.
  }
}

/** Roles that operate the console; agent and service keys only call the API. */
export const CONSOLE_ROLES = ['admin', 'auditor', 'approver'] as const;

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
