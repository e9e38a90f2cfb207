// Picks the data hall for this machine: the real netns hall where it can run, else the simulated one,
// carrying the plain reason why (DESIGN.md §11: the demo says so).

import { netnsAvailability } from './availability.js';
import type { DataHall } from './hall.js';
import type { HallOptions } from './hall_config.js';
import { createNetnsHall } from './netns_hall.js';
import { createSimulatedHall } from './simulated_hall.js';

export interface CreateDataHallOptions extends HallOptions {
  /** Use the simulated hall even where the real one could run. */
  simulated?: boolean;
}

export function createDataHall(options: CreateDataHallOptions = {}): DataHall {
  const { simulated, ...hallOptions } = options;
  if (simulated === true)
    return createSimulatedHall({ ...hallOptions, reason: 'the simulated hall was requested' });
  const availability = netnsAvailability();
  if (!availability.ok) return createSimulatedHall({ ...hallOptions, reason: availability.reason });
  return createNetnsHall(hallOptions);
}
