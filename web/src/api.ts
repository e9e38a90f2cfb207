// The console's one way to call the gateway: the key in the Authorization header (never in a URL),
// JSON in and out, and every failure as an ApiError carrying the gateway's {error, code, detail}.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Method = 'GET' | 'POST';

export async function callApi<T>(key: string, method: Method, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'E_NETWORK', 'the gateway did not answer', 'cannot reach the gateway');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, 'E_NOT_JSON', 'the answer is not JSON', `HTTP ${response.status}`);
  }
  if (!response.ok) {
    const e = (parsed ?? {}) as { error?: string; code?: string; detail?: string };
    throw new ApiError(
      response.status,
      e.code ?? `HTTP_${response.status}`,
      e.detail ?? '',
      e.error ?? `HTTP ${response.status}`,
    );
  }
  return parsed as T;
}

/** Fetches a file the gateway serves as an attachment (with the key) and hands it to the browser to save. */
export async function downloadWithKey(key: string, path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' });
  if (!response.ok) {
    const e = (await response.json().catch(() => ({}))) as { error?: string; code?: string; detail?: string };
    throw new ApiError(response.status, e.code ?? 'E_DOWNLOAD', e.detail ?? '', e.error ?? 'download failed');
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
