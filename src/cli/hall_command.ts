// `carapace hall up|down|status|heal [site]`: the demo data hall as Linux network namespaces, left
// running between commands (its state is in the kernel and the run directory). Where namespaces are
// unavailable every command says why and runs the simulated hall, whose output is labelled SIMULATED.

import { createDataHall, type DataHall, HallError } from '../executors/netns/index.js';
import { failure, printJson } from './io.js';

export interface HallCommandOptions {
  prefix?: string;
  runDir?: string;
  subnet?: string;
  intervalMs?: string;
  simulated?: boolean;
}

/** A simulated hall lives in the command's own process: say so wherever one answers. */
const SIMULATED_NOTE =
  'SIMULATED: this hall existed only inside this command and is gone now; nothing persists between ' +
  'commands. The real hall needs Linux, root, `ip` (iproute2) and `nft` (nftables).';

export function hallUpCommand(options: HallCommandOptions): Promise<number> {
  return hallCommand(options, (hall) => hall.up());
}

export function hallDownCommand(options: HallCommandOptions): Promise<number> {
  return hallCommand(options, (hall) => hall.down());
}

export function hallStatusCommand(options: HallCommandOptions): Promise<number> {
  return hallCommand(options, (hall) => hall.status(), { bringUpSimulated: true });
}

export function hallHealCommand(site: string | undefined, options: HallCommandOptions): Promise<number> {
  return hallCommand(options, (hall) => hall.heal(site), { bringUpSimulated: true });
}

/**
 * Opens the hall, runs `body` and prints its result. A simulated hall has no state between commands,
 * so for status and heal the command first brings one up in its own process.
 */
async function hallCommand(
  options: HallCommandOptions,
  body: (hall: DataHall) => Promise<object>,
  { bringUpSimulated = false } = {},
): Promise<number> {
  try {
    const hall = openHall(options);
    if (hall.simulated && bringUpSimulated) await hall.up();
    const result = await body(hall);
    printJson(
      hall.simulated
        ? { ...result, note: SIMULATED_NOTE, simulated_reason: hall.simulatedReason ?? '' }
        : result,
    );
    return 0;
  } catch (e) {
    throw e instanceof HallError ? failure(e.code, TITLES[e.code] ?? 'data hall error', e.message) : e;
  }
}

function openHall(options: HallCommandOptions): DataHall {
  let intervalMs: number | undefined;
  if (options.intervalMs !== undefined) {
    if (!/^\d{1,6}$/.test(options.intervalMs)) {
      throw failure(
        'E_HALL_CONFIG',
        'invalid data hall option',
        `--interval-ms ${options.intervalMs} is not a number of ms`,
      );
    }
    intervalMs = Number(options.intervalMs);
  }
  return createDataHall({
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.runDir === undefined ? {} : { runDir: options.runDir }),
    ...(options.subnet === undefined ? {} : { subnet: options.subnet }),
    ...(intervalMs === undefined ? {} : { probeIntervalMs: intervalMs }),
    simulated: options.simulated === true,
  });
}

const TITLES: Record<string, string> = {
  E_HALL_UNAVAILABLE: 'network namespaces are unavailable',
  E_HALL_CONFIG: 'invalid data hall option',
  E_HALL_COMMAND: 'a host command failed',
  E_HALL_NOT_UP: 'the data hall is not up',
  E_HALL_TARGET: 'no such site or target in the data hall',
  E_HALL_EFFECT: 'the effect could not be applied',
};
