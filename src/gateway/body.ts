// Strict request bodies for the non-engine routes: known fields only, bounded strings.

import { isPlainObject } from '../engine/index.js';
import { GatewayError } from './gateway_error.js';

export function strictBody(
  body: unknown,
  required: readonly string[],
  optional: readonly string[],
): Record<string, unknown> {
  if (!isPlainObject(body))
    throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'the body must be a JSON object');
  for (const key of Object.keys(body))
    if (!required.includes(key) && !optional.includes(key))
      throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', `unknown field "${key}"`);
  for (const key of required)
    if (body[key] === undefined)
      throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', `${key}: required`);
  return body;
}

export function boundedString(value: unknown, field: string, max: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      `${field}: must be a non-empty string`,
    );
  if (value.length > max)
    throw new GatewayError(
      413,
      'E_INPUT_TOO_LARGE',
      'input too large',
      `${field}: longer than ${max} characters`,
    );
  if (pattern && !pattern.test(value))
    throw new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      `${field}: must match ${pattern.source}`,
    );
  return value;
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    throw new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      `${field}: must be one of ${allowed.join(', ')}`,
    );
  return value as T;
}
