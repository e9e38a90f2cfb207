// The MCP gateway's config file: every upstream is a stdio command or a Streamable HTTP URL, every tool
// the agent may use is classified for the engine, and a mistake is an error naming the field (never a
// credential's value), found before the gateway starts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpConfigError, parseMcpConfig } from '../../../src/adapters/mcp/config.js';
import { mcpEngine, toolRoutes } from '../../../src/adapters/mcp/tool_routes.js';
import { classifyAction } from '../../../src/engine/index.js';

const observe = { intent: 'observe', radius: 'none' };
const parse = (source: unknown, env: NodeJS.ProcessEnv = {}) => parseMcpConfig(source, '/etc/carapace', env);
const refused = (source: unknown, pattern: RegExp, env: NodeJS.ProcessEnv = {}) =>
  assert.throws(
    () => parse(source, env),
    (e: unknown) => e instanceof McpConfigError && e.code === 'E_MCP_CONFIG' && pattern.test(e.detail),
  );

test('one server: tools keep their names; several: each is server.tool', () => {
  const one = parse({ servers: { files: { command: 'files-mcp', tools: { read_file: observe } } } });
  assert.deepEqual([...toolRoutes(one).keys()], ['read_file']);
  const two = parse({
    servers: {
      files: { command: 'files-mcp', tools: { read_file: observe } },
      web: { url: 'https://mcp.example.com/mcp', tools: { fetch: observe } },
    },
  });
  assert.deepEqual([...toolRoutes(two).keys()], ['files.read_file', 'web.fetch']);
  const always = parse({
    namespace: 'always',
    servers: { files: { command: 'files-mcp', tools: { read_file: observe } } },
  });
  assert.deepEqual([...toolRoutes(always).keys()], ['files.read_file']);
});

test('defaults: untrusted outputs, bounded calls, pin at first sight, a 30 s review wait', () => {
  const c = parse({
    servers: { files: { command: 'files-mcp', args: ['--ro'], tools: { read_file: observe } } },
  });
  const server = c.servers[0];
  assert.equal(server?.transport, 'stdio');
  assert.equal(server?.output_trust, 'untrusted');
  assert.equal(server?.call_timeout_ms, 20_000);
  assert.equal(server?.transport === 'stdio' ? server.cwd : null, '/etc/carapace');
  assert.equal(c.first_sight, 'pin');
  assert.deepEqual(c.review, { wait_ms: 30_000, poll_ms: 500 });
  assert.equal(c.relist_ms, 0);
});

test('every mistake is an error naming the field', () => {
  refused({ servers: {} }, /^servers: at least one server/);
  refused(
    { servers: { files: { command: 'x', tools: { read_file: { intent: 'read', radius: 'none' } } } } },
    /^servers\.files\.tools\.read_file\.intent/,
  );
  refused(
    { servers: { files: { command: 'x', tools: { read_file: observe }, extra: 1 } } },
    /^servers\.files: .*extra/i,
  );
  refused({ servers: { 'bad name': { command: 'x', tools: {} } } }, /^servers/);
  refused({ servers: { files: { command: 'x', url: 'http://a', tools: {} } } }, /either command .* or url/);
  refused({ servers: { web: { url: 'ftp://a/mcp', tools: {} } } }, /^servers\.web\.url/);
  refused({ servers: { files: { command: 'x', tools: { 'rm -rf': observe } } } }, /^servers\.files\.tools/);
  refused({ unknown_option: true, servers: { files: { command: 'x', tools: {} } } }, /unknown_option/i);
});

test('credentials come from the environment, and an error never shows one', () => {
  const c = parse(
    {
      servers: {
        web: {
          url: 'https://mcp.example.com/mcp',
          headers_from_env: { Authorization: 'WEB_MCP_AUTH' },
          tools: { fetch: observe },
        },
        files: {
          command: 'files-mcp',
          env_from: { FILES_TOKEN: 'FILES_MCP_TOKEN' },
          tools: { read_file: observe },
        },
      },
    },
    { WEB_MCP_AUTH: 'Bearer s3cr3t-value', FILES_MCP_TOKEN: 'tok-123' },
  );
  const web = c.servers.find((s) => s.name === 'web');
  assert.deepEqual(web?.transport === 'http' ? web.headers : null, { Authorization: 'Bearer s3cr3t-value' });
  const files = c.servers.find((s) => s.name === 'files');
  assert.equal(files?.transport === 'stdio' ? files.env.FILES_TOKEN : null, 'tok-123');

  refused(
    { servers: { files: { command: 'x', env_from: { TOKEN: 'NOT_SET_ANYWHERE' }, tools: {} } } },
    /env_from\.TOKEN: the environment variable NOT_SET_ANYWHERE is not set/,
  );
  refused(
    { servers: { web: { url: 'https://user:pw@mcp.example.com/mcp', tools: {} } } },
    /credentials belong in headers_from_env/,
  );
  try {
    parse({
      servers: {
        web: { url: 'https://mcp.example.com', headers: { 'bad header': 'Bearer do-not-echo' }, tools: {} },
      },
    });
    assert.fail('accepted a bad header name');
  } catch (e) {
    assert.ok(e instanceof McpConfigError);
    assert.ok(!e.message.includes('do-not-echo'), e.message);
  }
});

test('MCP tools join the demo catalog; the engine classifies them, argument-aware where configured', () => {
  const c = parse({
    servers: {
      net: {
        command: 'net-mcp',
        tools: {
          isolate: {
            intent: 'remediate_destructive',
            radius: 'site',
            args: { type: 'object', required: ['device_id'], properties: { device_id: { type: 'string' } } },
            resolve: { device_id: 'network_device' },
            classify: [
              { when: { role: { device_id: 'spine' } }, intent: 'remediate_destructive', radius: 'site' },
              { when: { role: { device_id: 'leaf' } }, intent: 'remediate_destructive', radius: 'vlan' },
            ],
          },
          status: observe,
        },
      },
    },
  });
  const { engine } = mcpEngine(c);
  assert.ok(engine.catalog.tools.has('get_telemetry'), 'the demo tools are still there');
  assert.deepEqual(classifyAction(engine.catalog, 'isolate', { device_id: 'leaf-switch-sj-01-a' }), {
    ok: true,
    tool: 'isolate',
    intent: 'remediate_destructive',
    radius: 'vlan',
  });
  assert.equal(classifyAction(engine.catalog, 'isolate', { device_id: 'no-such-device' }).ok, false);
  assert.equal(classifyAction(engine.catalog, 'status', { anything: 1 }).ok, true);
  assert.equal(classifyAction(engine.catalog, 'unclassified', {}).ok, false, 'unknown: R9 fails it closed');
});

test('a name the base catalog already has is an error, not an override', () => {
  const c = parse({ servers: { hall: { command: 'x', tools: { get_telemetry: observe } } } });
  assert.throws(
    () => mcpEngine(c),
    (e: unknown) => e instanceof McpConfigError && /set namespace: always/.test(e.detail),
  );
  const bad = parse({
    servers: { hall: { command: 'x', tools: { t: { ...observe, resolve: { target: 'vm' } } } } },
  });
  assert.throws(
    () => mcpEngine(bad),
    (e: unknown) => e instanceof McpConfigError && /tool classification/.test(e.detail),
  );
});
