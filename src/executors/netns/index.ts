// The data hall executor's public surface: the real hall built from Linux network namespaces and
// nftables, its simulated stand-in, and the executor that applies catalog actions to either.

export type { NetnsAvailability } from './availability.js';
export { netnsAvailability } from './availability.js';
export type { CreateDataHallOptions } from './create_hall.js';
export { createDataHall } from './create_hall.js';
export type { HallEffect, HallTool } from './effect_plan.js';
export { HALL_TOOLS, planHallEffect } from './effect_plan.js';
export type { HallErrorCode } from './errors.js';
export { HallError } from './errors.js';
export type {
  AppliedEffect,
  CanaryChange,
  CanaryReport,
  CanaryResult,
  DataHall,
  HallKind,
  HallStatus,
  HealReport,
  JournalEntry,
  ProbeResult,
  SiteStatus,
  TeardownReport,
} from './hall.js';
export type { HallOptions } from './hall_config.js';
export { DEFAULT_PREFIX, DEFAULT_PROBE_INTERVAL_MS, DEFAULT_SUBNET } from './hall_config.js';
export { createHallExecutor } from './hall_executor.js';
export { createNetnsHall } from './netns_hall.js';
export { modelReachability } from './reachability.js';
export type { SimulatedHallOptions } from './simulated_hall.js';
export { createSimulatedHall } from './simulated_hall.js';
export type { HallSite, HallTarget, HallTopology } from './topology.js';
export { hallTopology, siteTargets, WORKLOADS } from './topology.js';
