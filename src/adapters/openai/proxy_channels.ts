// The channels the proxy's message contents enter through, made ready when the gateway starts: the
// default ones are created when absent (like the tool-output channel), any other named one must exist.
// A channel's trust never changes once created, so the proxy keeps them in memory.

import type { Channel } from '../../store/store.js';
import type { GatewayContext } from '../../gateway/context.js';
import { DEFAULT_ROLE_CHANNELS, type ProxySettings, type RoleChannel } from './options.js';

export interface ProxyChannels {
  byRole: Record<RoleChannel, Channel>;
  byTool: ReadonlyMap<string, Channel>;
}

export async function prepareProxyChannels(
  ctx: GatewayContext,
  settings: ProxySettings,
): Promise<ProxyChannels> {
  const defaults = new Map(Object.values(DEFAULT_ROLE_CHANNELS).map((c) => [c.name, c]));
  const ready = async (name: string, what: string): Promise<Channel> => {
    const existing = await ctx.store.getChannel(name);
    if (existing) return existing;
    const preset = defaults.get(name);
    if (!preset)
      throw new Error(
        `openai proxy: ${what} names channel "${name}", which does not exist; an admin creates it with its trust first`,
      );
    try {
      return await ctx.store.createChannel({
        ...preset,
        created_by: 'carapace openai proxy',
        created_at: new Date(ctx.now()).toISOString(),
      });
    } catch (e) {
      // Another instance sharing the store created it first: take theirs.
      const raced = await ctx.store.getChannel(name);
      if (raced) return raced;
      throw e;
    }
  };
  const byRole = {} as Record<RoleChannel, Channel>;
  for (const role of Object.keys(DEFAULT_ROLE_CHANNELS) as RoleChannel[])
    byRole[role] = await ready(settings.channels[role], `channels.${role}`);
  const byTool = new Map<string, Channel>();
  for (const [tool, name] of settings.toolChannels)
    byTool.set(tool, await ready(name, `toolChannels.${tool}`));
  return { byRole, byTool };
}
