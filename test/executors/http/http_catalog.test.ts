// The brokered HTTP tool's catalog entry: joined to the demo catalog only when the broker is on (the
// demo catalog, and every decision replayed against it, is unchanged), classified by method, and
// refusing arguments it does not know (a missing case is R9 DENY, never a default).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAction, DEMO_CATALOG } from '../../../src/engine/index.js';
import { compileWithHttpTool, HTTP_REQUEST_TOOL, withHttpTool } from '../../../src/executors/http/index.js';

const catalog = compileWithHttpTool();
const args = (method: string) => ({ secret_id: 'github', method, url: 'https://api.github.com/user' });

test('the demo catalog has no http.request; the broker catalog is the demo catalog plus it', () => {
  assert.equal(DEMO_CATALOG.tools.has(HTTP_REQUEST_TOOL), false);
  assert.equal(catalog.name, 'demo-data-hall+http');
  assert.equal(catalog.tools.size, DEMO_CATALOG.tools.size + 1);
  assert.notEqual(catalog.hash, DEMO_CATALOG.hash);
  assert.throws(() => withHttpTool(withHttpTool()), /already has a tool http\.request/);
});

test('GET and HEAD observe; POST, PUT, PATCH are reversible on a workload; DELETE is destructive', () => {
  const expected: Record<string, [string, string]> = {
    GET: ['observe', 'none'],
    HEAD: ['observe', 'none'],
    POST: ['remediate_reversible', 'workload'],
    PUT: ['remediate_reversible', 'workload'],
    PATCH: ['remediate_reversible', 'workload'],
    DELETE: ['remediate_destructive', 'workload'],
  };
  for (const [method, [intent, radius]] of Object.entries(expected)) {
    const c = classifyAction(catalog, HTTP_REQUEST_TOOL, args(method));
    assert.ok(c.ok, method);
    assert.deepEqual([c.intent, c.radius], [intent, radius], method);
  }
});

test('unknown methods, missing arguments, extra arguments and non-http URLs do not classify', () => {
  for (const bad of [
    args('CONNECT'),
    { method: 'GET', url: 'https://x.test/' },
    { ...args('GET'), token: 'x' },
    { ...args('GET'), url: 'file:///etc/passwd' },
    { ...args('GET'), secret_id: '../x' },
  ])
    assert.equal(classifyAction(catalog, HTTP_REQUEST_TOOL, bad).ok, false, JSON.stringify(bad));
});
