// Starts a site's agent inside the site's namespace as a detached process (it outlives the command that
// started it, so `carapace hall up` can return), logging to the run directory, and waits until it
// reports ready: service listening, workloads started, canary running.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { HallError } from './errors.js';
import { type HallConfig, hallFiles, siteNamespace } from './hall_config.js';
import { PREFIX_ENV } from './hall_processes.js';
import { HOST_PATH } from './host_command.js';
import { SITE_AGENT_PROGRAM, type SiteAgentConfig } from './site_agent_program.js';
import { siteRequest } from './site_control.js';
import { type HallSite, SERVICE_PORT, siteTargets, WORKLOADS } from './topology.js';

const READY_TIMEOUT_MS = 15_000;

export function siteAgentConfig(config: HallConfig, site: HallSite): SiteAgentConfig {
  const names: Record<string, string> = { [site.address]: site.spine };
  for (const v of site.vlans) names[v.address] = v.id;
  for (const n of site.nodes) names[n.address] = n.id;
  return {
    prefix: config.prefix,
    site: site.id,
    socket_path: hallFiles(config).socket(site.id),
    service_port: SERVICE_PORT,
    names,
    workloads: WORKLOADS.map((w) => ({ ...w })),
    targets: config.topology.sites
      .filter((s) => s.id !== site.id)
      .flatMap(siteTargets)
      .map(({ site: s, id, kind, address, port }) => ({ site: s, id, kind, address, port })),
    interval_ms: config.probeIntervalMs,
    timeout_ms: config.probeTimeoutMs,
    history_limit: 1000,
  };
}

/** Resolves with the agent's pid once it is ready; rejects with E_HALL_COMMAND and its log's tail otherwise. */
export async function launchSiteAgent(config: HallConfig, site: HallSite): Promise<number> {
  const files = hallFiles(config);
  const logFd = openSync(files.log(site.id), 'a', 0o600);
  let exited: string | null = null;
  try {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        siteNamespace(config, site.id),
        process.execPath,
        '--input-type=module',
        '-e',
        SITE_AGENT_PROGRAM,
      ],
      {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: {
          PATH: HOST_PATH,
          [PREFIX_ENV]: config.prefix,
          CARAPACE_HALL_SITE: JSON.stringify(siteAgentConfig(config, site)),
        },
      },
    );
    child.on('error', (e) => (exited = `could not start: ${e.message}`));
    child.on('exit', (code, signal) => (exited = `exited ${code ?? signal}`));
    child.unref();
  } finally {
    closeSync(logFd);
  }

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited !== null) throw launchError(config, site, `the site agent ${exited}`);
    try {
      const answer = await siteRequest(files.socket(site.id), 'GET', '/status', 1000);
      if (answer.body.ready === true && typeof answer.body.pid === 'number') return answer.body.pid;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline)
      throw launchError(config, site, `the site agent was not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function launchError(config: HallConfig, site: HallSite, what: string): HallError {
  let tail: string;
  try {
    tail = readFileSync(hallFiles(config).log(site.id), 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    tail = '(no log)';
  }
  return new HallError(
    'E_HALL_COMMAND',
    `site ${site.id} in ${siteNamespace(config, site.id)}: ${what}; log: ${tail}`,
  );
}
