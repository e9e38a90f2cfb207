// What the OpenAI-compatible proxy is configured with, its defaults, and the channels message contents
// enter through. Checked once, when the gateway starts: a proxy that cannot say where its upstream is or
// which trust a message gets does not start.

import type { Channel } from '../../store/store.js';
import { TOOL_OUTPUT_CHANNEL } from '../../gateway/chunks.js';
import { NAME } from '../../gateway/schemas.js';
import {
  plainUpstreamKey,
  type UpstreamKeySource,
  type UpstreamKeyVault,
  vaultUpstreamKey,
} from './upstream_key.js';

export interface OpenAIProxyOptions {
  /**
   * The upstream's OpenAI API base URL, as an OpenAI client's `baseURL` (e.g. https://api.openai.com/v1
   * or a Lobster Trap proxy's http://127.0.0.1:8080/v1); `/chat/completions` and `/models` are appended.
   * From CARAPACE_UPSTREAM_URL under `carapace serve`. It may not carry credentials.
   */
  upstreamUrl: string;
  /**
   * Sent to the upstream as `Authorization: Bearer <key>` (CARAPACE_UPSTREAM_API_KEY). The agent's own
   * Authorization header is its Carapace key and is never forwarded. Never logged, never returned.
   */
  upstreamApiKey?: string;
  /**
   * The upstream key sealed in the credential broker's vault (`serve --broker`), instead of
   * upstreamApiKey: unsealed for each upstream request only (vault.use), never held between requests.
   */
  upstreamSecret?: { vault: UpstreamKeyVault; id: string };
  /**
   * How long the upstream may take to answer with headers and, for a non-streamed answer, with its
   * whole body; for a streamed answer, the longest silence between two reads. Default 120 000 ms.
   */
  upstreamTimeoutMs?: number;
  /** The largest request body taken (default 4 MiB); larger is 413. */
  maxRequestBytes?: number;
  /** The most messages one request may hold (default 256); more is 413. */
  maxMessages?: number;
  /** The largest upstream answer read, streamed or not (default 8 MiB); larger is a 502. */
  maxResponseBytes?: number;
  /**
   * The channels message contents enter through, by role (system and developer share one). The
   * defaults are created at start when absent (see DEFAULT_ROLE_CHANNELS); a channel named here that is
   * not a default must already exist. An admin sets a role's trust by creating its channel first.
   */
  channels?: Partial<Record<RoleChannel, string>>;
  /**
   * Tool-role messages answering a call to one of these tools enter through the named channel (which
   * must exist) instead of `channels.tool`: how an operator says a tool's output is more trusted than
   * outside text, e.g. `{ get_telemetry: 'telemetry' }` with `telemetry` created as semi_trusted.
   */
  toolChannels?: Record<string, string>;
  /**
   * The proxy's own conversation-layer inspector. `fold` (default): when an answer has tool calls and
   * the upstream sent no `_lobstertrap` block, the proxy makes one over the request's tool outputs with
   * Carapace's inspector, folds it into every call's decision and adds it to the answer. `off`: never.
   */
  ownLobstertrap?: 'fold' | 'off';
}

export type RoleChannel = 'system' | 'user' | 'assistant' | 'tool';

/**
 * Where each role's content comes from by default, and the trust it gets when the proxy creates the
 * channel. Every role is something the agent's runtime asserts, not something Carapace can verify, so
 * none is trusted by default: semi_trusted for the operator's prompt, the user and the model's own
 * earlier turns, and untrusted for tool outputs (they carry outside text), as for outputs run here.
 */
export const DEFAULT_ROLE_CHANNELS: Record<RoleChannel, Pick<Channel, 'name' | 'trust'>> = {
  system: { name: 'chat-system', trust: 'semi_trusted' },
  user: { name: 'chat-user', trust: 'semi_trusted' },
  assistant: { name: 'chat-assistant', trust: 'semi_trusted' },
  tool: TOOL_OUTPUT_CHANNEL,
};

export interface ProxySettings {
  upstream: URL;
  /**
   * The key lent to each upstream request, with the stripper of its forms for that request's answer
   * (streamed or not, errors included): the agent never sees the key. Null: no key is sent.
   */
  upstreamKey: UpstreamKeySource | null;
  upstreamTimeoutMs: number;
  maxRequestBytes: number;
  maxMessages: number;
  maxResponseBytes: number;
  channels: Record<RoleChannel, string>;
  toolChannels: ReadonlyMap<string, string>;
  ownLobstertrap: 'fold' | 'off';
}

/** The options, checked and with defaults filled in; throws a plain Error naming the bad option. */
export function proxySettings(options: OpenAIProxyOptions): ProxySettings {
  let upstream: URL;
  try {
    upstream = new URL(options.upstreamUrl);
  } catch {
    throw new Error(`openai proxy: upstreamUrl is not a URL`);
  }
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:')
    throw new Error(`openai proxy: upstreamUrl must be http or https, not ${upstream.protocol}`);
  if (upstream.username !== '' || upstream.password !== '')
    throw new Error(
      'openai proxy: upstreamUrl carries credentials; give the key as upstreamApiKey (CARAPACE_UPSTREAM_API_KEY)',
    );
  if (upstream.hash !== '') throw new Error('openai proxy: upstreamUrl may not have a fragment');
  const key = options.upstreamApiKey ?? null;
  if (key !== null && (key.length === 0 || /[\r\n\0]/.test(key)))
    throw new Error('openai proxy: upstreamApiKey is empty or holds a line break');
  if (key !== null && options.upstreamSecret !== undefined)
    throw new Error('openai proxy: give upstreamApiKey or upstreamSecret, not both');
  const upstreamKey =
    options.upstreamSecret !== undefined
      ? vaultUpstreamKey(options.upstreamSecret.vault, options.upstreamSecret.id)
      : key !== null
        ? plainUpstreamKey(key)
        : null;
  const positive = (value: number | undefined, fallback: number, what: string) => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new Error(`openai proxy: ${what} must be a positive integer`);
    return v;
  };
  const channels = { ...mapValues(DEFAULT_ROLE_CHANNELS, (c) => c.name), ...(options.channels ?? {}) };
  for (const [role, name] of Object.entries(channels))
    if (!NAME.test(name)) throw new Error(`openai proxy: channels.${role}: "${name}" is not a channel name`);
  const toolChannels = new Map(Object.entries(options.toolChannels ?? {}));
  for (const [tool, name] of toolChannels)
    if (!NAME.test(name))
      throw new Error(`openai proxy: toolChannels.${tool}: "${name}" is not a channel name`);
  const own = options.ownLobstertrap ?? 'fold';
  if (own !== 'fold' && own !== 'off') throw new Error('openai proxy: ownLobstertrap must be fold or off');
  return {
    upstream,
    upstreamKey,
    upstreamTimeoutMs: positive(options.upstreamTimeoutMs, 120_000, 'upstreamTimeoutMs'),
    maxRequestBytes: positive(options.maxRequestBytes, 4 * 1024 * 1024, 'maxRequestBytes'),
    maxMessages: positive(options.maxMessages, 256, 'maxMessages'),
    maxResponseBytes: positive(options.maxResponseBytes, 8 * 1024 * 1024, 'maxResponseBytes'),
    channels,
    toolChannels,
    ownLobstertrap: own,
  };
}

function mapValues<K extends string, V, W>(record: Record<K, V>, fn: (v: V) => W): Record<K, W> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v as V)])) as Record<K, W>;
}
