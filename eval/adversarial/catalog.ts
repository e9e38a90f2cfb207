// The tool catalog of the adversarial suite's agents: general agent tools (web, files, mail, shell,
// money), each with the intent and blast radius it honestly has, so the engine's R1..R9 judge them as
// they would judge a real deployment's. Built with the engine's own compileCatalog.

import { compileCatalog } from '../../src/engine/catalog.js';
import type { Engine } from '../../src/engine/decide.js';
import { unwrap } from '../../src/engine/errors.js';
import { DEFAULT_RULESET } from '../../src/engine/builtin/index.js';

const text = (maxLength = 512) => ({ type: 'string', minLength: 1, maxLength });

/** One required string argument, nothing else. */
const oneString = (name: string, maxLength = 512) => ({
  type: 'object',
  required: [name],
  additionalProperties: false,
  properties: { [name]: text(maxLength) },
});

export const AGENT_TOOLS_CATALOG_SOURCE = {
  name: 'adversarial-agent-tools',
  version: 1,
  description: 'Tools of a research-and-files agent, for the adversarial suite (docs/adversarial.md).',
  entities: [],
  tools: [
    // Reads: nothing changes.
    {
      name: 'search_web',
      intent: 'observe',
      radius: 'none',
      args: oneString('query'),
      aliases: ['web.search'],
    },
    { name: 'fetch_url', intent: 'observe', radius: 'none', args: oneString('url', 2048) },
    { name: 'read_file', intent: 'observe', radius: 'none', args: oneString('path', 1024) },
    { name: 'list_files', intent: 'observe', radius: 'none', args: oneString('path', 1024) },
    { name: 'read_env', intent: 'observe', radius: 'none', args: oneString('name', 128) },
    { name: 'vault_read', intent: 'observe', radius: 'none', args: oneString('path', 1024) },
    { name: 'lookup_customer', intent: 'observe', radius: 'none', args: oneString('customer_id', 64) },
    { name: 'export_records', intent: 'observe', radius: 'none', args: oneString('table', 64) },
    { name: 'read_inbox', intent: 'observe', radius: 'none', args: oneString('folder', 64) },
    { name: 'run_report', intent: 'observe', radius: 'none', args: oneString('name', 128) },
    { name: 'call_llm', intent: 'observe', radius: 'none', args: oneString('prompt', 4096) },
    { name: 'echo_tool', intent: 'observe', radius: 'none', args: oneString('data', 4096) },
    { name: 'dns_lookup', intent: 'observe', radius: 'none', args: oneString('hostname', 253) },
    {
      // A GET reads; a POST sends data out, which cannot be taken back.
      name: 'http_request',
      intent: 'observe',
      radius: 'none',
      args: {
        type: 'object',
        required: ['url', 'method'],
        additionalProperties: false,
        properties: {
          url: text(2048),
          method: { enum: ['GET', 'POST'] },
          body: { type: 'string', maxLength: 8192 },
          headers: { type: 'string', maxLength: 1024 },
        },
      },
      classify: [
        { when: { equals: { method: 'GET' } }, intent: 'observe', radius: 'none' },
        { when: { equals: { method: 'POST' } }, intent: 'remediate_destructive', radius: 'none' },
      ],
    },
    // Changes that can be undone: a chat message can be deleted; an environment variable set back.
    {
      name: 'post_message',
      intent: 'remediate_reversible',
      radius: 'none',
      args: {
        type: 'object',
        required: ['channel', 'text'],
        additionalProperties: false,
        properties: { channel: text(64), text: text(4096) },
      },
    },
    {
      name: 'set_env',
      intent: 'remediate_reversible',
      radius: 'node',
      args: {
        type: 'object',
        required: ['name', 'value'],
        additionalProperties: false,
        properties: { name: text(128), value: text(1024) },
      },
    },
    // Changes that cannot be undone.
    {
      // Overwrites: the old content is gone.
      name: 'write_file',
      intent: 'remediate_destructive',
      radius: 'workload',
      args: {
        type: 'object',
        required: ['path', 'content'],
        additionalProperties: false,
        properties: { path: text(1024), content: { type: 'string', maxLength: 8192 } },
      },
    },
    {
      name: 'delete_file',
      intent: 'remediate_destructive',
      radius: 'workload',
      args: oneString('path', 1024),
    },
    {
      name: 'encrypt_file',
      intent: 'remediate_destructive',
      radius: 'workload',
      args: oneString('path', 1024),
    },
    {
      // Mail cannot be unsent.
      name: 'send_email',
      intent: 'remediate_destructive',
      radius: 'none',
      args: {
        type: 'object',
        required: ['recipient', 'subject', 'body'],
        additionalProperties: false,
        properties: { recipient: text(254), subject: text(256), body: text(8192) },
      },
    },
    {
      name: 'execute_shell',
      intent: 'remediate_destructive',
      radius: 'node',
      args: oneString('command', 4096),
      aliases: ['bash', 'shell.exec'],
    },
    {
      name: 'admin_reset',
      intent: 'remediate_destructive',
      radius: 'region',
      args: oneString('target', 256),
    },
  ],
};

export const AGENT_TOOLS_CATALOG = unwrap(compileCatalog(AGENT_TOOLS_CATALOG_SOURCE));

/** The built-in ruleset (R1..R9) over the agent-tools catalog: what the suite's gateways decide with. */
export const ADVERSARIAL_ENGINE: Engine = { ruleset: DEFAULT_RULESET, catalog: AGENT_TOOLS_CATALOG };
