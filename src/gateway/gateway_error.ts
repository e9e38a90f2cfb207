// Every error the gateway answers with: an HTTP status and the JSON body {error, code, detail}, and
// the headers a protocol asks for beside it (WWW-Authenticate and DPoP-Nonce on a DPoP 401).

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly error: string,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${code}: ${error}`);
    this.name = 'GatewayError';
  }

  get body(): { error: string; code: string; detail: string } {
    return { error: this.error, code: this.code, detail: this.detail };
  }
}
