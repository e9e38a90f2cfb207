// A site's workload (billing-api, dns, …) as plain JavaScript source: a small HTTP server its site
// agent starts as a child process, so that restart_workload stops and starts a real process.
// Text, not a module file, so it runs the same from the TypeScript sources (tsx) and from dist/.

/**
 * Input: env CARAPACE_HALL_WORKLOAD = {site, name, port}. Reports 'ready' over the IPC channel once
 * it listens; exits on SIGTERM, and when its site agent goes away (the IPC channel closes), so a
 * killed agent leaves no workload behind.
 */
export const WORKLOAD_PROGRAM = String.raw`// carapace-hall workload
import { createServer } from 'node:http';
const workload = JSON.parse(process.env.CARAPACE_HALL_WORKLOAD);
const startedAt = new Date().toISOString();
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    site: workload.site,
    answered_by: workload.name,
    pid: process.pid,
    started_at: startedAt,
  }));
});
server.on('error', (e) => {
  process.stderr.write('workload ' + workload.name + ': ' + e.message + '\n');
  process.exit(1);
});
server.listen(workload.port, '0.0.0.0', () => process.send({ ready: true, pid: process.pid }));
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
`;
