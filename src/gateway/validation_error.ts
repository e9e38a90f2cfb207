// Fastify's schema validation failures, reworded into the gateway's one error shape: 400
// E_REQUEST_INVALID naming the field, or 413 E_INPUT_TOO_LARGE for a bound, as the handlers did.

import type { FastifySchemaValidationError } from 'fastify';
import { GatewayError } from './gateway_error.js';

const WHERE: Record<string, string> = { body: 'body', querystring: 'query', params: 'path' };

export function gatewayErrorFromValidation(
  errors: readonly FastifySchemaValidationError[],
  context: string | undefined,
): GatewayError {
  const first = errors[0];
  const root = WHERE[context ?? 'body'] ?? 'request';
  if (!first) return invalid(`${root}: invalid`);
  const field = first.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : root;
  const p = first.params as Record<string, unknown>;
  switch (first.keyword) {
    case 'additionalProperties':
      return invalid(`${field}: unknown field "${String(p.additionalProperty)}"`);
    case 'required':
      return invalid(`${field === root ? '' : `${field}.`}${String(p.missingProperty)}: required`);
    case 'type':
      return invalid(
        field === root && context === 'body'
          ? 'the body must be a JSON object'
          : `${field}: must be ${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${String(p.type)}`,
      );
    case 'enum':
      return invalid(`${field}: must be one of ${(p.allowedValues as unknown[]).join(', ')}`);
    case 'pattern':
      return invalid(`${field}: must match ${String(p.pattern)}`);
    case 'minLength':
      return invalid(`${field}: must be a non-empty string`);
    case 'maxLength':
      return new GatewayError(
        413,
        'E_INPUT_TOO_LARGE',
        'input too large',
        `${field}: longer than ${String(p.limit)} characters`,
      );
    default:
      return invalid(`${field}: ${first.message ?? 'invalid'}`);
  }
}

function invalid(detail: string): GatewayError {
  return new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', detail);
}
