// The brokered HTTP executor and its catalog entry.

export { BrokeredHttpExecutor, type BrokeredHttpExecutorOptions, type BrokeredResponse } from './executor.js';
export { HttpBrokerError, type HttpBrokerErrorCode } from './errors.js';
export { compileWithHttpTool, HTTP_CATALOG_YAML, HTTP_REQUEST_TOOL, withHttpTool } from './http_catalog.js';
export { type HostResolver, type ResolvedAddress, systemResolver } from './resolve_once.js';
export {
  type SecretRateGate,
  SecretRateLimiter,
  secretRateKey,
  StoreSecretRateLimiter,
  type WindowedCounters,
} from './rate_limit.js';
export { SecretStripper, strippedMarker } from './secret_stripper.js';
