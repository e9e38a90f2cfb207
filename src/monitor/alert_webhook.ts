// Sends the monitor's alerts to an operator's webhook: one JSON POST each, a short timeout, no
// redirects followed, and never a failure of the action that raised it. The payload names agents,
// tools and numbers only.

export const WEBHOOK_TIMEOUT_MS = 2_000;

/** Posts `event` to `url`; resolves whether it was accepted (2xx). Never rejects. */
export async function postAlert(url: string, event: Record<string, unknown>): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      redirect: 'error',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => {});
    return response.ok;
  } catch {
    return false;
  }
}
