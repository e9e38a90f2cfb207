// Ingestion channels and the trust each was created with (it never changes); an admin creates new ones.
// The tool-output channels are the gateway's own.

import { type FormEvent, useState } from 'react';
import { callApi } from '../api.js';
import { Empty, ErrorBox, Loading, TrustBadge, useLoad } from '../components.js';
import { formatDateTime } from '../format.js';
import { useAuditEvents } from '../live_events.js';
import { useSession } from '../session.js';

interface Channel {
  name: string;
  trust: string;
  created_by: string;
  created_at: string;
}

export function ChannelsPage() {
  const { key, principal } = useSession();
  const list = useLoad(() => callApi<Channel[]>(key, 'GET', '/v1/admin/channels'), [key]);
  useAuditEvents(
    (kind) => kind === 'admin.channel_created',
    () => list.reload(),
  );
  const [form, setForm] = useState({ name: '', trust: 'untrusted' });
  const [error, setError] = useState<unknown>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await callApi(key, 'POST', '/v1/admin/channels', { name: form.name.trim(), trust: form.trust });
      setForm({ ...form, name: '' });
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <h1>Channels</h1>
      <p className="hint">
        Content’s trust comes from the channel it entered through, never from what an agent claims.
      </p>
      {list.error && !list.data ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : !list.data ? (
        <Loading what="channels" />
      ) : list.data.length === 0 ? (
        <Empty title="No channels" />
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">Trust</th>
                <th scope="col">Created by</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <tr key={c.name}>
                  <td className="mono">{c.name}</td>
                  <td>
                    <TrustBadge trust={c.trust} />
                  </td>
                  <td className="mono">{c.created_by}</td>
                  <td className="nowrap">{formatDateTime(c.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {principal.role === 'admin' ? (
        <form className="panel" onSubmit={create} aria-labelledby="create-channel">
          <h2 id="create-channel">Create a channel</h2>
          <div className="row">
            <label>
              Name
              <input
                required
                value={form.name}
                pattern="[a-z0-9][a-z0-9._\-]{0,63}"
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            </label>
            <label>
              Trust
              <select value={form.trust} onChange={(e) => setForm({ ...form, trust: e.target.value })}>
                <option value="untrusted">untrusted</option>
                <option value="semi_trusted">semi-trusted</option>
                <option value="trusted">trusted</option>
              </select>
            </label>
            <button type="submit">Create</button>
          </div>
          {error ? <ErrorBox error={error} /> : null}
        </form>
      ) : null}
    </section>
  );
}
