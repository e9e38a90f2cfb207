// The brokered HTTP executor's one error type, with stable codes. Messages name the secret's id, the
// host, the header, the limit: never the secret, and never a header value the agent sent.

export type HttpBrokerErrorCode =
  | 'E_HTTP_TOOL_UNSUPPORTED'
  | 'E_HTTP_ARGS_INVALID'
  | 'E_HTTP_HEADER_REFUSED'
  | 'E_HTTP_SCHEME_REFUSED'
  | 'E_HTTP_HOST_REFUSED'
  | 'E_HTTP_PORT_REFUSED'
  | 'E_HTTP_METHOD_REFUSED'
  | 'E_HTTP_ADDRESS_REFUSED'
  | 'E_HTTP_DNS_FAILED'
  | 'E_HTTP_RATE_LIMITED'
  | 'E_HTTP_REQUEST_TOO_LARGE'
  | 'E_HTTP_RESPONSE_TOO_LARGE'
  | 'E_HTTP_TIMEOUT'
  | 'E_HTTP_CONNECTION_FAILED'
  | 'E_HTTP_ENCODING_UNSUPPORTED'
  | 'E_HTTP_SECRET_UNAVAILABLE';

export class HttpBrokerError extends Error {
  constructor(
    readonly code: HttpBrokerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HttpBrokerError';
  }
}
