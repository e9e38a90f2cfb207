// Every error the gateway answers with: an HTTP status and the JSON body {error, code, detail}.

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly error: string,
    readonly detail: string,
  ) {
    super(`${code}: ${error}`);
    this.name = 'GatewayError';
  }

  get body(): { error: string; code: string; detail: string } {
    return { error: this.error, code: this.code, detail: this.detail };
  }
}
