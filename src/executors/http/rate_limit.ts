// Each secret's requests per minute (its policy's `rpm`), counted in this process over a sliding
// minute. A gateway cluster counts per instance: N instances allow up to N × rpm.

export class SecretRateLimiter {
  private readonly used = new Map<string, number[]>();

  /** Takes one request for `secretId` at `nowMs`; false (nothing taken) when `rpm` are already used. */
  take(secretId: string, rpm: number, nowMs: number): boolean {
    const recent = (this.used.get(secretId) ?? []).filter((t) => t > nowMs - 60_000);
    if (recent.length >= rpm) {
      this.used.set(secretId, recent);
      return false;
    }
    recent.push(nowMs);
    this.used.set(secretId, recent);
    return true;
  }
}
