// The one HTTP reachability probe of the hall, as plain JavaScript source: the site agents' canaries
// embed it, and the direct probe runs it alone inside a site's namespace (`ip netns exec … node -e`).
// Kept as text so it runs the same from the TypeScript sources (tsx) and from the built dist/.

/**
 * `probeHttp(address, port, timeoutMs)` resolves (never rejects) with
 * { reachable, latency_ms, status?, answered_by?, error? }: reachable means an HTTP 200 answer within
 * timeoutMs. A fresh connection each time (agent: false), so a new firewall rule is seen at once.
 */
export const PROBE_FUNCTION_SOURCE = String.raw`
function probeHttp(address, port, timeoutMs) {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latency_ms: Math.round((performance.now() - started) * 10) / 10 });
    };
    const req = httpRequest({ host: address, port, path: '/', method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { if (body.length < 4096) body += d; });
      res.on('end', () => {
        let answeredBy;
        try { answeredBy = JSON.parse(body).answered_by; } catch { answeredBy = undefined; }
        finish(res.statusCode === 200
          ? { reachable: true, status: res.statusCode, answered_by: answeredBy }
          : { reachable: false, status: res.statusCode, error: 'HTTP ' + res.statusCode });
      });
      res.on('error', (e) => finish({ reachable: false, error: e.code || e.message }));
    });
    const timer = setTimeout(() => {
      finish({ reachable: false, error: 'timeout after ' + timeoutMs + ' ms' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish({ reachable: false, error: e.code || e.message }));
    req.end();
  });
}
`;

/** A program that probes once and prints the result as one JSON line. Input: env CARAPACE_HALL_PROBE. */
export const PROBE_PROGRAM = String.raw`// carapace-hall direct probe
import { request as httpRequest } from 'node:http';
${PROBE_FUNCTION_SOURCE}
const input = JSON.parse(process.env.CARAPACE_HALL_PROBE);
const checkedAt = new Date().toISOString();
const result = await probeHttp(input.address, input.port, input.timeout_ms);
process.stdout.write(JSON.stringify({ checked_at: checkedAt, ...result }) + '\n');
`;
