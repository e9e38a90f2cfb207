// The gateway's counters, rendered in the Prometheus text exposition format (version 0.0.4). A few
// lines written here rather than a client library: the set is small and fixed.

/** Request duration buckets, in seconds. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly decisions = new Map<string, number>();
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly redemptions = new Map<string, number>();

  /** A decision record produced by /v1/decide or /v1/actions. */
  countDecision(decision: string, rule: string): void {
    bump(this.decisions, labels({ decision, rule }));
  }

  /** `route` is the route pattern (`/v1/reviews/:id`), never the raw URL, so the label set stays bounded. */
  observeRequest(route: string, status: number, seconds: number): void {
    bump(this.requests, labels({ route, status: String(status) }));
    const key = labels({ route });
    let h = this.durations.get(key);
    if (!h) {
      h = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(key, h);
    }
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i] = (h.buckets[i] ?? 0) + 1;
    });
    h.sum += seconds;
    h.count += 1;
  }

  /** `outcome` is `redeemed` or the refusal's code (E_TOKEN_REPLAYED, ...). */
  countRedemption(outcome: string): void {
    bump(this.redemptions, labels({ outcome }));
  }

  /** The exposition text; `auditEntries` is read at scrape time. */
  render(auditEntries: number): string {
    const out: string[] = [];
    family(out, 'carapace_decisions_total', 'counter', 'Decision records produced, by decision and rule.');
    for (const [l, v] of this.decisions) out.push(`carapace_decisions_total{${l}} ${v}`);
    family(out, 'carapace_http_requests_total', 'counter', 'HTTP requests answered, by route and status.');
    for (const [l, v] of this.requests) out.push(`carapace_http_requests_total{${l}} ${v}`);
    family(out, 'carapace_http_request_duration_seconds', 'histogram', 'HTTP request duration, by route.');
    for (const [l, h] of this.durations) {
      DURATION_BUCKETS.forEach((le, i) =>
        out.push(`carapace_http_request_duration_seconds_bucket{${l},le="${le}"} ${h.buckets[i] ?? 0}`),
      );
      out.push(`carapace_http_request_duration_seconds_bucket{${l},le="+Inf"} ${h.count}`);
      out.push(`carapace_http_request_duration_seconds_sum{${l}} ${h.sum}`);
      out.push(`carapace_http_request_duration_seconds_count{${l}} ${h.count}`);
    }
    family(out, 'carapace_audit_entries', 'gauge', 'Entries in the audit log.');
    out.push(`carapace_audit_entries ${auditEntries}`);
    family(out, 'carapace_token_redemptions_total', 'counter', 'Execution token redemptions, by outcome.');
    for (const [l, v] of this.redemptions) out.push(`carapace_token_redemptions_total{${l}} ${v}`);
    return `${out.join('\n')}\n`;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function family(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** `a="x",b="y"`, values escaped as the exposition format requires. */
function labels(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`)
    .join(',');
}
