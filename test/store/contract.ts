// What every store engine must do, as tests: SQLite runs them now, PostgreSQL must pass the same ones.
// `reopen` simulates a restart on the same storage; `second` is another gateway instance sharing it.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type {
  Chunk,
  NewClientRun,
  NewPrincipal,
  NewReview,
  Store,
  TrustLevel,
} from '../../src/store/store.js';
import { StoreError, type StoreErrorCode } from '../../src/store/store_error.js';

export interface OpenedStore {
  store: Store;
  /** Opens the same storage again; the contract closes `store` first (a restart). */
  reopen?: () => Promise<Store>;
  /** Opens another store on the same storage while `store` stays open (a second gateway instance). */
  second?: () => Promise<Store>;
}

const T0 = Date.parse('2025-01-31T03:14:00.000Z');

/** The time `seconds` after 03:14:00 in the reference night. */
export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function principal(id: string, extra: Partial<NewPrincipal> = {}): NewPrincipal {
  return {
    id,
    name: `name-${id}`,
    role: 'agent',
    api_key_hash: keyHash(`key-${id}`),
    created_at: at(0),
    ...extra,
  };
}

export function chunk(id: string, channel: string, trust: TrustLevel, extra: Partial<Chunk> = {}): Chunk {
  return {
    id,
    channel,
    trust,
    injection_suspected: false,
    content_hash: `sha256:${keyHash(id)}`,
    ingested_at: at(1),
    bytes: 42,
    ...extra,
  };
}

export function review(id: string, agentId: string, extra: Partial<NewReview> = {}): NewReview {
  return {
    id,
    agent_id: agentId,
    envelope: {
      intent: 'remediate_destructive',
      tool: 'network.isolate',
      args: { device_id: 'spine-switch-sj-01' },
    },
    decision_record_hash: `sha256:${keyHash(`record-${id}`)}`,
    created_at: at(0),
    expires_at: at(900),
    required_approvals: 1,
    ...extra,
  };
}

export function clientRun(jti: string, agentId: string, extra: Partial<NewClientRun> = {}): NewClientRun {
  return {
    jti,
    agent_id: agentId,
    tool: 'read_logs',
    session: 'night',
    redeemed_at: at(1),
    result_due: at(31),
    ...extra,
  };
}

export async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Every method name of an object, own or inherited (a class instance or an object literal). */
function methodNames(value: object): string[] {
  const names = new Set<string>();
  for (
    let o: object | null = value;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  )
    for (const name of Object.getOwnPropertyNames(o))
      if (typeof (value as Record<string, unknown>)[name] === 'function') names.add(name);
  return [...names];
}

/** Registers the contract tests for one engine. `open` gives a fresh, empty store each time. */
export function storeContract(engine: string, open: () => Promise<OpenedStore>): void {
  /** Runs `body` on a fresh store and closes every store it opened (second instances too), pass or fail. */
  async function withStore(body: (opened: OpenedStore) => Promise<void>): Promise<void> {
    const opened = await open();
    const stores: Store[] = [opened.store];
    const second = opened.second;
    try {
      await body({
        ...opened,
        ...(second && {
          second: async () => {
            const other = await second();
            stores.push(other);
            return other;
          },
        }),
      });
    } finally {
      for (const s of stores) await s.close();
    }
  }

  /** A store with an admin, an approver pair, two agents, and syslog/operator-console/web channels. */
  async function seed(store: Store): Promise<void> {
    await store.createPrincipal(principal('admin', { role: 'admin' }));
    await store.createPrincipal(principal('approver-1', { role: 'approver' }));
    await store.createPrincipal(principal('approver-2', { role: 'approver' }));
    await store.createPrincipal(principal('agent-a'));
    await store.createPrincipal(principal('agent-b'));
    for (const [name, trust] of [
      ['syslog', 'semi_trusted'],
      ['operator-console', 'trusted'],
      ['web', 'untrusted'],
    ] as const)
      await store.createChannel({ name, trust, created_by: 'admin', created_at: at(0) });
  }

  describe(`store contract: ${engine}`, () => {
    describe('principals', () => {
      test('a principal is found by id and by the hash of its key, and the key itself is not stored', () =>
        withStore(async ({ store }) => {
          const created = await store.createPrincipal(principal('agent-a'));
          assert.deepEqual(created, {
            id: 'agent-a',
            name: 'name-agent-a',
            role: 'agent',
            api_key_hash: keyHash('key-agent-a'),
            disabled: false,
            certified_tier: 'T0',
            created_at: at(0),
            dpop_required: false,
          });
          assert.deepEqual(await store.getPrincipal('agent-a'), created);
          assert.deepEqual(await store.principalByKeyHash(keyHash('key-agent-a')), created);
          assert.equal(await store.principalByKeyHash(keyHash('another key')), null);
          assert.equal(await store.getPrincipal('nobody'), null);
          assert.ok(!JSON.stringify(await store.listPrincipals()).includes('"key-agent-a"'));
        }));

      test('principal ids, names and key hashes are each unique: a duplicate is E_STORE_CONFLICT', () =>
        withStore(async ({ store }) => {
          await store.createPrincipal(principal('p1'));
          await rejectsWith(
            store.createPrincipal(principal('p1', { name: 'other', api_key_hash: keyHash('x') })),
            'E_STORE_CONFLICT',
          );
          await rejectsWith(store.createPrincipal(principal('p2', { name: 'name-p1' })), 'E_STORE_CONFLICT');
          await rejectsWith(
            store.createPrincipal(principal('p3', { api_key_hash: keyHash('key-p1') })),
            'E_STORE_CONFLICT',
          );
          assert.deepEqual(
            (await store.listPrincipals()).map((p) => p.id),
            ['p1'],
          );
        }));

      test('a principal bound to a channel keeps it; an unknown channel is E_STORE_NOT_FOUND', () =>
        withStore(async ({ store }) => {
          await store.createChannel({
            name: 'syslog',
            trust: 'semi_trusted',
            created_by: 'admin',
            created_at: at(0),
          });
          const shipper = await store.createPrincipal(
            principal('shipper', { role: 'service', channel: 'syslog' }),
          );
          assert.equal(shipper.channel, 'syslog');
          await rejectsWith(
            store.createPrincipal(principal('ghost', { role: 'service', channel: 'nowhere' })),
            'E_STORE_NOT_FOUND',
          );
          assert.equal(await store.getPrincipal('ghost'), null);
        }));

      test('a principal can be disabled and enabled again; an unknown one is E_STORE_NOT_FOUND', () =>
        withStore(async ({ store }) => {
          await store.createPrincipal(principal('agent-a'));
          assert.equal((await store.setPrincipalDisabled('agent-a', true)).disabled, true);
          assert.equal((await store.principalByKeyHash(keyHash('key-agent-a')))?.disabled, true);
          assert.equal((await store.setPrincipalDisabled('agent-a', false)).disabled, false);
          await rejectsWith(store.setPrincipalDisabled('nobody', true), 'E_STORE_NOT_FOUND');
        }));

      test('a principal starts at tier T0 unless created with one; an admin sets it; nothing else is a tier', () =>
        withStore(async ({ store }) => {
          await store.createPrincipal(principal('agent-a'));
          await store.createPrincipal(principal('agent-b', { certified_tier: 'T4' }));
          assert.equal((await store.getPrincipal('agent-b'))?.certified_tier, 'T4');
          assert.equal((await store.setPrincipalTier('agent-a', 'T3')).certified_tier, 'T3');
          assert.equal((await store.principalByKeyHash(keyHash('key-agent-a')))?.certified_tier, 'T3');
          await rejectsWith(store.setPrincipalTier('agent-a', 'T8' as 'T7'), 'E_STORE_INVALID');
          await rejectsWith(store.setPrincipalTier('nobody', 'T1'), 'E_STORE_NOT_FOUND');
          await rejectsWith(
            store.createPrincipal(principal('agent-c', { certified_tier: 't3' as 'T3' })),
            'E_STORE_INVALID',
          );
          assert.equal((await store.getPrincipal('agent-a'))?.certified_tier, 'T3');
        }));

      test('a principal does not need DPoP unless an admin says so; an unknown one is E_STORE_NOT_FOUND', () =>
        withStore(async ({ store }) => {
          assert.equal((await store.createPrincipal(principal('agent-a'))).dpop_required, false);
          assert.equal((await store.setPrincipalDpopRequired('agent-a', true)).dpop_required, true);
          assert.equal((await store.principalByKeyHash(keyHash('key-agent-a')))?.dpop_required, true);
          assert.equal(
            (await store.createPrincipal(principal('agent-b', { dpop_required: true }))).dpop_required,
            true,
          );
          await rejectsWith(store.setPrincipalDpopRequired('nobody', true), 'E_STORE_NOT_FOUND');
          await rejectsWith(
            store.setPrincipalDpopRequired('agent-a', 1 as unknown as boolean),
            'E_STORE_INVALID',
          );
        }));

      test('a delegate keeps its parent and its scope; an unknown parent or a malformed scope is refused', () =>
        withStore(async ({ store }) => {
          await store.createPrincipal(principal('parent'));
          const child = await store.createPrincipal(
            principal('child', { parent_id: 'parent', scope: { tools: ['get_telemetry', 'read_logs'] } }),
          );
          assert.equal(child.parent_id, 'parent');
          assert.deepEqual(child.scope, { tools: ['get_telemetry', 'read_logs'] });
          assert.equal((await store.getPrincipal('parent'))?.parent_id, undefined);
          assert.equal((await store.getPrincipal('parent'))?.scope, undefined);
          await rejectsWith(
            store.createPrincipal(principal('orphan', { parent_id: 'nobody' })),
            'E_STORE_NOT_FOUND',
          );
          for (const scope of [
            { tools: ['read_logs', 'get_telemetry'] },
            { tools: ['read_logs', 'read_logs'] },
            { tools: 'read_logs' },
            { tools: [''] },
            { tools: [], grants: [] },
          ])
            await rejectsWith(
              store.createPrincipal(principal(`bad-${JSON.stringify(scope)}`, { scope: scope as never })),
              'E_STORE_INVALID',
            );
        }));

      test('revoking a principal revokes every delegate below it, once, root first, depth first', () =>
        withStore(async ({ store }) => {
          await store.createPrincipal(principal('root'));
          await store.createPrincipal(principal('a', { parent_id: 'root' }));
          await store.createPrincipal(principal('a1', { parent_id: 'a' }));
          await store.createPrincipal(principal('a1x', { parent_id: 'a1' }));
          await store.createPrincipal(principal('b', { parent_id: 'root' }));
          await store.createPrincipal(principal('other'));
          assert.deepEqual(await store.revokePrincipal('a1', at(5)), ['a1', 'a1x']);
          assert.deepEqual(await store.revokePrincipal('root', at(9)), ['root', 'a', 'b']);
          const byId = new Map((await store.listPrincipals()).map((p) => [p.id, p]));
          assert.equal(byId.get('a1')?.revoked_at, at(5), 'an earlier revocation keeps its time');
          assert.equal(byId.get('root')?.revoked_at, at(9));
          assert.equal(byId.get('b')?.revoked_at, at(9));
          assert.equal(byId.get('other')?.revoked_at, undefined);
          assert.deepEqual(await store.revokePrincipal('root', at(20)), [], 'revoking again changes nothing');
          await rejectsWith(store.revokePrincipal('nobody', at(1)), 'E_STORE_NOT_FOUND');
          await rejectsWith(store.revokePrincipal('other', 'now'), 'E_STORE_INVALID');
        }));

      test('a revocation through a second instance is seen here on the next read', (t) =>
        withStore(async ({ store, second }) => {
          if (!second) return t.skip(`${engine} has no second instance`);
          await store.createPrincipal(principal('root'));
          await store.createPrincipal(principal('child', { parent_id: 'root' }));
          const other = await second();
          assert.equal((await store.principalByKeyHash(keyHash('key-child')))?.revoked_at, undefined);
          await other.revokePrincipal('root', at(3));
          assert.equal((await store.principalByKeyHash(keyHash('key-child')))?.revoked_at, at(3));
        }));

      test('a principal disabled through a second instance is disabled here on the next read', (t) =>
        withStore(async ({ store, second }) => {
          if (!second) return t.skip(`${engine} has no second instance`);
          await store.createPrincipal(principal('agent-a'));
          const other = await second();
          // Both instances read the key first, so any cache they keep holds the enabled principal.
          assert.equal((await store.principalByKeyHash(keyHash('key-agent-a')))?.disabled, false);
          assert.equal((await other.principalByKeyHash(keyHash('key-agent-a')))?.disabled, false);
          await other.setPrincipalDisabled('agent-a', true);
          assert.equal((await store.principalByKeyHash(keyHash('key-agent-a')))?.disabled, true);
          await store.setPrincipalDisabled('agent-a', false);
          assert.equal((await other.principalByKeyHash(keyHash('key-agent-a')))?.disabled, false);
        }));

      test('what a read returns is a copy: changing it changes nothing stored', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.putChunk(chunk('poison', 'web', 'untrusted', { injection_suspected: true }));
          await store.addSessionChunks('s1', 'agent-a', ['poison']);
          const p = await store.principalByKeyHash(keyHash('key-agent-a'));
          if (p) p.role = 'admin';
          const [c] = await store.getChunks(['poison']);
          if (c) c.trust = 'trusted';
          (await store.sessionChunkIds('s1', 'agent-a')).pop();
          assert.equal((await store.principalByKeyHash(keyHash('key-agent-a')))?.role, 'agent');
          assert.equal((await store.getChunks(['poison']))[0]?.trust, 'untrusted');
          assert.deepEqual(await store.sessionChunkIds('s1', 'agent-a'), ['poison']);
        }));

      test('principals are listed in creation order', () =>
        withStore(async ({ store }) => {
          await store.createPrincipal(principal('b', { created_at: at(2) }));
          await store.createPrincipal(principal('a', { created_at: at(3) }));
          await store.createPrincipal(principal('c', { created_at: at(1) }));
          assert.deepEqual(
            (await store.listPrincipals()).map((p) => p.id),
            ['c', 'b', 'a'],
          );
        }));

      test('malformed arguments are E_STORE_INVALID: unknown role, key not hashed, time not ISO', () =>
        withStore(async ({ store }) => {
          const bad = [
            principal('x', { role: 'root' as never }),
            principal('x', { api_key_hash: 'the-raw-key' }),
            principal('x', { created_at: '2025-01-31 03:14' }),
            principal('', {}),
          ];
          for (const p of bad) await rejectsWith(store.createPrincipal(p), 'E_STORE_INVALID');
          assert.deepEqual(await store.listPrincipals(), []);
        }));
    });

    describe('channels', () => {
      test('a channel name is taken once, and its trust stays what the admin set', () =>
        withStore(async ({ store }) => {
          const syslog = {
            name: 'syslog',
            trust: 'semi_trusted',
            created_by: 'admin',
            created_at: at(0),
          } as const;
          assert.deepEqual(await store.createChannel(syslog), syslog);
          await rejectsWith(
            store.createChannel({ ...syslog, trust: 'trusted', created_at: at(5) }),
            'E_STORE_CONFLICT',
          );
          assert.deepEqual(await store.getChannel('syslog'), syslog);
          assert.equal(await store.getChannel('nowhere'), null);
          const updaters = methodNames(store).filter(
            (name) => /channel|trust/i.test(name) && /update|set/i.test(name),
          );
          assert.deepEqual(updaters, [], 'no method changes a channel or its trust');
        }));

      test('channels are listed by name; an unknown trust level is E_STORE_INVALID', () =>
        withStore(async ({ store }) => {
          await seed(store);
          assert.deepEqual(
            (await store.listChannels()).map((c) => [c.name, c.trust]),
            [
              ['operator-console', 'trusted'],
              ['syslog', 'semi_trusted'],
              ['web', 'untrusted'],
            ],
          );
          await rejectsWith(
            store.createChannel({
              name: 'x',
              trust: 'very_trusted' as never,
              created_by: 'admin',
              created_at: at(0),
            }),
            'E_STORE_INVALID',
          );
        }));
    });

    describe('chunks', () => {
      test("a chunk's first write wins: a later put under the same id cannot change its trust or flag", () =>
        withStore(async ({ store }) => {
          await seed(store);
          const first = chunk('chunk:sha256:aa', 'web', 'untrusted', { injection_suspected: true });
          assert.deepEqual(await store.putChunk(first), { chunk: first, inserted: true });
          const laundered = chunk('chunk:sha256:aa', 'operator-console', 'trusted', {
            injection_suspected: false,
            ingested_at: at(60),
          });
          assert.deepEqual(await store.putChunk(laundered), { chunk: first, inserted: false });
          assert.deepEqual(await store.getChunks(['chunk:sha256:aa']), [first]);
        }));

      test('concurrent puts of one id store exactly one chunk', () =>
        withStore(async ({ store }) => {
          await seed(store);
          const trusts: TrustLevel[] = ['untrusted', 'semi_trusted', 'trusted'];
          const results = await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              store.putChunk(chunk('c', 'syslog', trusts[i % 3] ?? 'untrusted')),
            ),
          );
          assert.equal(results.filter((r) => r.inserted).length, 1);
          const stored = results.find((r) => r.inserted)?.chunk;
          for (const r of results) assert.deepEqual(r.chunk, stored);
        }));

      test('getChunks returns the chunks found, in the order asked, each once, skipping unknown ids', () =>
        withStore(async ({ store }) => {
          await seed(store);
          const a = chunk('a', 'syslog', 'semi_trusted');
          const b = chunk('b', 'web', 'untrusted');
          const c = chunk('c', 'operator-console', 'trusted');
          for (const x of [a, b, c]) await store.putChunk(x);
          assert.deepEqual(await store.getChunks(['c', 'missing', 'a', 'c', 'b']), [c, a, b]);
          assert.deepEqual(await store.getChunks([]), []);
        }));

      test('a chunk from a channel that does not exist is E_STORE_NOT_FOUND', () =>
        withStore(async ({ store }) => {
          await rejectsWith(store.putChunk(chunk('a', 'nowhere', 'trusted')), 'E_STORE_NOT_FOUND');
          assert.deepEqual(await store.getChunks(['a']), []);
        }));
    });

    describe('sessions', () => {
      test('a session records each chunk once, in the order it was first shown', () =>
        withStore(async ({ store }) => {
          await seed(store);
          for (const id of ['a', 'b', 'c']) await store.putChunk(chunk(id, 'syslog', 'semi_trusted'));
          await store.addSessionChunks('s1', 'agent-a', ['b', 'a']);
          await store.addSessionChunks('s1', 'agent-a', ['a', 'c', 'b']);
          await store.addSessionChunks('s1', 'agent-a', []);
          assert.deepEqual(await store.sessionChunkIds('s1', 'agent-a'), ['b', 'a', 'c']);
          assert.deepEqual(await store.sessionChunkIds('s2', 'agent-a'), []);
        }));

      test('an agent reads only its own session: the same session id under another agent is separate', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.putChunk(chunk('poison', 'web', 'untrusted', { injection_suspected: true }));
          await store.putChunk(chunk('clean', 'operator-console', 'trusted'));
          await store.addSessionChunks('shared-id', 'agent-a', ['poison']);
          await store.addSessionChunks('shared-id', 'agent-b', ['clean']);
          assert.deepEqual(await store.sessionChunkIds('shared-id', 'agent-a'), ['poison']);
          assert.deepEqual(await store.sessionChunkIds('shared-id', 'agent-b'), ['clean']);
        }));

      test("a chunk shown through a second instance is in this instance's session at once", (t) =>
        withStore(async ({ store, second }) => {
          if (!second) return t.skip(`${engine} has no second instance`);
          await seed(store);
          await store.putChunk(chunk('clean', 'operator-console', 'trusted'));
          await store.addSessionChunks('s1', 'agent-a', ['clean']);
          assert.deepEqual(await store.sessionChunkIds('s1', 'agent-a'), ['clean']);
          const other = await second();
          await other.putChunk(chunk('poison', 'web', 'untrusted', { injection_suspected: true }));
          await other.addSessionChunks('s1', 'agent-a', ['poison']);
          assert.deepEqual(await store.sessionChunkIds('s1', 'agent-a'), ['clean', 'poison']);
          assert.equal((await store.getChunks(['poison']))[0]?.trust, 'untrusted');
        }));

      test('a session takes only existing chunks of an existing agent, all or nothing', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.putChunk(chunk('a', 'syslog', 'semi_trusted'));
          await rejectsWith(store.addSessionChunks('s1', 'agent-a', ['a', 'missing']), 'E_STORE_NOT_FOUND');
          await rejectsWith(store.addSessionChunks('s1', 'nobody', ['a']), 'E_STORE_NOT_FOUND');
          assert.deepEqual(await store.sessionChunkIds('s1', 'agent-a'), []);
          assert.deepEqual(await store.sessionChunkIds('s1', 'nobody'), []);
        }));
    });

    describe('reviews', () => {
      test('a new review is pending with no approvals, and keeps its envelope exactly', () =>
        withStore(async ({ store }) => {
          await seed(store);
          const request = review('r1', 'agent-a', {
            envelope: { tool: 'migrate_vm', args: { vm_id: 'vm-01' }, n: 1.5 },
          });
          const created = await store.createReview(request);
          assert.deepEqual(created, { ...request, status: 'pending', approvals: [] });
          assert.deepEqual(await store.getReview('r1'), created);
          assert.equal(await store.getReview('r2'), null);
          await rejectsWith(store.createReview(review('r1', 'agent-b')), 'E_STORE_CONFLICT');
          await rejectsWith(store.createReview(review('r2', 'nobody')), 'E_STORE_NOT_FOUND');
          await rejectsWith(
            store.createReview(review('r3', 'agent-a', { required_approvals: 3 as never })),
            'E_STORE_INVALID',
          );
          await rejectsWith(
            store.createReview(review('r4', 'agent-a', { expires_at: at(0) })),
            'E_STORE_INVALID',
          );
        }));

      test("one approver's approval decides a one-approver review; approver, time and note are kept", () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('r1', 'agent-a'));
          const result = await store.recordReviewDecision('r1', {
            approver: 'approver-1',
            approve: true,
            note: 'checked with on-call',
            at: at(60),
          });
          assert.equal(result.outcome, 'approved');
          const stored = await store.getReview('r1');
          assert.deepEqual(result.review, stored);
          assert.equal(stored?.status, 'approved');
          assert.equal(stored?.decided_by, 'approver-1');
          assert.equal(stored?.decided_at, at(60));
          assert.equal(stored?.note, 'checked with on-call');
          assert.deepEqual(stored?.approvals, [
            { approver: 'approver-1', at: at(60), note: 'checked with on-call' },
          ]);
        }));

      test('a second decision on a decided review is a conflict (409) and changes nothing', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('r1', 'agent-a'));
          await store.recordReviewDecision('r1', {
            approver: 'approver-1',
            approve: false,
            note: 'no',
            at: at(10),
          });
          const before = await store.getReview('r1');
          for (const approve of [true, false]) {
            const again = await store.recordReviewDecision('r1', {
              approver: 'approver-2',
              approve,
              note: 'late',
              at: at(20),
            });
            assert.equal(again.outcome, 'conflict');
            assert.deepEqual(again.review, before);
          }
          assert.deepEqual(await store.getReview('r1'), before);
          assert.equal(before?.status, 'rejected');
          assert.equal(before?.decided_by, 'approver-1');
        }));

      test('a decision at or after the expiry marks the review expired and approves nothing', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('r1', 'agent-a', { expires_at: at(900) }));
          const late = await store.recordReviewDecision('r1', {
            approver: 'approver-1',
            approve: true,
            note: '',
            at: at(900),
          });
          assert.equal(late.outcome, 'expired');
          assert.equal(late.review?.status, 'expired');
          assert.equal(late.review?.decided_at, at(900));
          assert.equal(late.review?.decided_by, undefined);
          assert.deepEqual(late.review?.approvals, []);
          const later = await store.recordReviewDecision('r1', {
            approver: 'approver-2',
            approve: true,
            note: '',
            at: at(10),
          });
          assert.equal(
            later.outcome,
            'expired',
            'an expired review stays expired, whatever time a caller claims',
          );
          assert.equal((await store.getReview('r1'))?.status, 'expired');
        }));

      test('the requesting agent can never decide its own review', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('r1', 'agent-a'));
          for (const approve of [true, false]) {
            const own = await store.recordReviewDecision('r1', {
              approver: 'agent-a',
              approve,
              note: '',
              at: at(5),
            });
            assert.equal(own.outcome, 'conflict');
          }
          const stored = await store.getReview('r1');
          assert.equal(stored?.status, 'pending');
          assert.deepEqual(stored?.approvals, []);
        }));

      test('a two-approver review needs two distinct approvers; the same approver twice is a conflict', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('r1', 'agent-a', { required_approvals: 2 }));
          const first = await store.recordReviewDecision('r1', {
            approver: 'approver-1',
            approve: true,
            note: 'one',
            at: at(10),
          });
          assert.equal(first.outcome, 'pending_second_approval');
          assert.equal(first.review?.status, 'pending');
          const repeat = await store.recordReviewDecision('r1', {
            approver: 'approver-1',
            approve: true,
            note: 'one again',
            at: at(11),
          });
          assert.equal(repeat.outcome, 'conflict');
          assert.equal((await store.getReview('r1'))?.approvals.length, 1);
          const second = await store.recordReviewDecision('r1', {
            approver: 'approver-2',
            approve: true,
            note: 'two',
            at: at(20),
          });
          assert.equal(second.outcome, 'approved');
          assert.deepEqual(second.review?.approvals, [
            { approver: 'approver-1', at: at(10), note: 'one' },
            { approver: 'approver-2', at: at(20), note: 'two' },
          ]);
          assert.equal(second.review?.decided_by, 'approver-2');
        }));

      test('a rejection ends a two-approver review after its first approval', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('r1', 'agent-a', { required_approvals: 2 }));
          await store.recordReviewDecision('r1', {
            approver: 'approver-1',
            approve: true,
            note: 'ok',
            at: at(10),
          });
          const no = await store.recordReviewDecision('r1', {
            approver: 'approver-2',
            approve: false,
            note: 'not at 03:14',
            at: at(20),
          });
          assert.equal(no.outcome, 'rejected');
          assert.equal(no.review?.decided_by, 'approver-2');
          assert.equal(no.review?.note, 'not at 03:14');
        }));

      test('a decision on a review that does not exist is not_found', () =>
        withStore(async ({ store }) => {
          const result = await store.recordReviewDecision('nope', {
            approver: 'approver-1',
            approve: true,
            note: '',
            at: at(1),
          });
          assert.deepEqual(result, { outcome: 'not_found', review: null });
        }));

      test('of many concurrent decisions on one review exactly one decides it', () =>
        withStore(async ({ store }) => {
          await seed(store);
          for (let i = 3; i <= 20; i++)
            await store.createPrincipal(principal(`approver-${i}`, { role: 'approver' }));
          await store.createReview(review('r1', 'agent-a'));
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              store.recordReviewDecision('r1', {
                approver: `approver-${i + 1}`,
                approve: i % 2 === 0,
                note: `n${i}`,
                at: at(30),
              }),
            ),
          );
          const deciding = results.filter((r) => r.outcome === 'approved' || r.outcome === 'rejected');
          assert.equal(deciding.length, 1);
          assert.equal(results.filter((r) => r.outcome === 'conflict').length, 19);
        }));

      test('reviews are listed in creation order, filtered by status and by agent', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('r2', 'agent-b', { created_at: at(2) }));
          await store.createReview(review('r1', 'agent-a', { created_at: at(1) }));
          await store.createReview(review('r3', 'agent-a', { created_at: at(3) }));
          await store.recordReviewDecision('r3', {
            approver: 'approver-1',
            approve: true,
            note: '',
            at: at(4),
          });
          const ids = async (filter?: Parameters<Store['listReviews']>[0]) =>
            (await store.listReviews(filter)).map((r) => r.id);
          assert.deepEqual(await ids(), ['r1', 'r2', 'r3']);
          assert.deepEqual(await ids({ status: 'pending' }), ['r1', 'r2']);
          assert.deepEqual(await ids({ agentId: 'agent-a' }), ['r1', 'r3']);
          assert.deepEqual(await ids({ status: 'pending', agentId: 'agent-a' }), ['r1']);
          assert.deepEqual(await ids({ agentId: 'agent-z' }), []);
        }));

      test('expireReviews marks pending reviews at or past their expiry, and only those', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createReview(review('due', 'agent-a', { expires_at: at(100) }));
          await store.createReview(review('later', 'agent-a', { expires_at: at(200) }));
          await store.createReview(review('decided', 'agent-a', { expires_at: at(50) }));
          await store.recordReviewDecision('decided', {
            approver: 'approver-1',
            approve: true,
            note: '',
            at: at(10),
          });
          assert.equal(await store.expireReviews(at(100)), 1);
          assert.equal((await store.getReview('due'))?.status, 'expired');
          assert.equal((await store.getReview('due'))?.decided_at, at(100));
          assert.equal((await store.getReview('later'))?.status, 'pending');
          assert.equal((await store.getReview('decided'))?.status, 'approved');
          assert.equal(await store.expireReviews(at(100)), 0);
        }));
    });

    describe('execution-token redemptions', () => {
      test('a token id is redeemed once, even under 50 concurrent redeem calls', () =>
        withStore(async ({ store }) => {
          const results = await Promise.all(
            Array.from({ length: 50 }, () => store.redeemToken('jti-1', at(5), at(1))),
          );
          assert.equal(results.filter(Boolean).length, 1);
          assert.equal(await store.redeemToken('jti-1', at(5), at(2)), false);
          assert.equal(await store.redeemToken('jti-2', at(5), at(2)), true);
        }));

      test('a token id is redeemed once, even by two gateway instances sharing the database', (t) =>
        withStore(async ({ store, second }) => {
          if (!second) return t.skip(`${engine} has no second instance`);
          const other = await second();
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              (i % 2 ? store : other).redeemToken('jti-shared', at(5), at(1)),
            ),
          );
          assert.equal(results.filter(Boolean).length, 1);
          assert.equal(await store.redeemToken('jti-shared', at(5), at(2)), false);
          assert.equal(await other.redeemToken('jti-shared', at(5), at(2)), false);
        }));

      test('a redeemed token id stays redeemed after a restart', async (t) => {
        const opened = await open();
        if (!opened.reopen) {
          await opened.store.close();
          return t.skip(`${engine} has no reopen`);
        }
        assert.equal(await opened.store.redeemToken('jti-1', at(5), at(1)), true);
        await opened.store.close();
        const restarted = await opened.reopen();
        try {
          assert.equal(await restarted.redeemToken('jti-1', at(5), at(2)), false);
        } finally {
          await restarted.close();
        }
      });

      test('pruning removes only redemptions that expired before the cut-off', () =>
        withStore(async ({ store }) => {
          await store.redeemToken('old', at(5), at(1));
          await store.redeemToken('edge', at(10), at(1));
          await store.redeemToken('new', at(15), at(1));
          assert.equal(await store.pruneRedemptions(at(10)), 1);
          assert.equal(await store.redeemToken('edge', at(10), at(11)), false);
          assert.equal(await store.redeemToken('new', at(15), at(11)), false);
          assert.equal(await store.redeemToken('old', at(5), at(11)), true, 'pruned ids are forgotten');
        }));

      test('pruning with a prefix removes only the expired ids that start with it', () =>
        withStore(async ({ store }) => {
          await store.redeemToken('dpop:k:1', at(5), at(1));
          await store.redeemToken('dpop:k:2', at(20), at(1));
          await store.redeemToken('rev_1', at(5), at(1));
          await store.redeemToken('dpo', at(5), at(1));
          assert.equal(await store.pruneRedemptions(at(10), 'dpop:'), 1);
          assert.equal(await store.redeemToken('rev_1', at(5), at(11)), false, 'another prefix stays');
          assert.equal(await store.redeemToken('dpo', at(5), at(11)), false, 'a shorter id stays');
          assert.equal(await store.redeemToken('dpop:k:2', at(20), at(11)), false, 'an unexpired one stays');
          assert.equal(await store.redeemToken('dpop:k:1', at(5), at(11)), true);
          await rejectsWith(store.pruneRedemptions(at(10), 7 as unknown as string), 'E_STORE_INVALID');
        }));
    });

    describe('client runs', () => {
      test('a run is stored as given, and a taken jti or an unknown agent is refused', () =>
        withStore(async ({ store }) => {
          await seed(store);
          assert.deepEqual(
            await store.createClientRun(clientRun('j1', 'agent-a')),
            clientRun('j1', 'agent-a'),
          );
          const { session: _session, ...sessionless } = clientRun('j2', 'agent-a');
          assert.deepEqual(await store.createClientRun(sessionless), sessionless);
          await rejectsWith(store.createClientRun(clientRun('j1', 'agent-b')), 'E_STORE_CONFLICT');
          await rejectsWith(store.createClientRun(clientRun('j3', 'nobody')), 'E_STORE_NOT_FOUND');
          await rejectsWith(
            store.createClientRun(clientRun('j4', 'agent-a', { result_due: at(1) })),
            'E_STORE_INVALID',
          );
        }));

      test('a run takes one result, from its own agent only, and says when it came too late', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createClientRun(clientRun('j1', 'agent-a'));
          await store.createClientRun(clientRun('j2', 'agent-a'));
          assert.deepEqual(await store.closeClientRun('j1', 'agent-b', at(2)), {
            outcome: 'not_found',
            run: null,
          });
          assert.deepEqual(await store.closeClientRun('nope', 'agent-a', at(2)), {
            outcome: 'not_found',
            run: null,
          });
          const closed = await store.closeClientRun('j1', 'agent-a', at(2));
          assert.deepEqual(closed, {
            outcome: 'closed',
            run: { ...clientRun('j1', 'agent-a'), closed_at: at(2) },
          });
          assert.deepEqual(await store.closeClientRun('j1', 'agent-a', at(3)), {
            outcome: 'already_closed',
            run: closed.run,
          });
          // At result_due it is too late, and the run is closed all the same: no later result is taken.
          assert.equal((await store.closeClientRun('j2', 'agent-a', at(31))).outcome, 'overdue');
          assert.equal((await store.closeClientRun('j2', 'agent-a', at(4))).outcome, 'already_closed');
        }));

      test('a run is closed once, even under 50 concurrent closes from two instances', (t) =>
        withStore(async ({ store, second }) => {
          await seed(store);
          await store.createClientRun(clientRun('j1', 'agent-a'));
          const other = second ? await second() : store;
          if (!second) t.diagnostic(`${engine} has no second instance: one instance only`);
          const outcomes = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              (i % 2 ? store : other).closeClientRun('j1', 'agent-a', at(2)),
            ),
          );
          assert.equal(outcomes.filter((o) => o.outcome === 'closed').length, 1);
          assert.equal(outcomes.filter((o) => o.outcome === 'already_closed').length, 49);
        }));

      test('pruning removes only runs whose result was due before the cut-off', () =>
        withStore(async ({ store }) => {
          await seed(store);
          await store.createClientRun(clientRun('old', 'agent-a', { result_due: at(10) }));
          await store.createClientRun(clientRun('edge', 'agent-a', { result_due: at(20) }));
          assert.equal(await store.pruneClientRuns(at(20)), 1);
          assert.equal((await store.closeClientRun('old', 'agent-a', at(2))).outcome, 'not_found');
          assert.equal((await store.closeClientRun('edge', 'agent-a', at(2))).outcome, 'closed');
        }));
    });

    describe('counters', () => {
      test('a counter increments atomically under concurrency and returns each new value once', () =>
        withStore(async ({ store }) => {
          const values = await Promise.all(
            Array.from({ length: 100 }, () => store.incrementCounter('rate:agent-a', at(0))),
          );
          assert.deepEqual(
            [...values].sort((a, b) => a - b),
            Array.from({ length: 100 }, (_, i) => i + 1),
          );
          assert.equal(await store.getCounter('rate:agent-a', at(0)), 100);
        }));

      test('a counter shared by two gateway instances counts every increment', (t) =>
        withStore(async ({ store, second }) => {
          if (!second) return t.skip(`${engine} has no second instance`);
          const other = await second();
          const values = await Promise.all(
            Array.from({ length: 60 }, (_, i) =>
              (i % 2 ? store : other).incrementCounter('global', at(0), 2),
            ),
          );
          assert.deepEqual(
            [...values].sort((a, b) => a - b),
            Array.from({ length: 60 }, (_, i) => 2 * (i + 1)),
          );
        }));

      test('counters are separate per key and per window; an absent counter is 0', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.getCounter('k', at(0)), 0);
          assert.equal(await store.incrementCounter('k', at(0), 5), 5);
          assert.equal(await store.incrementCounter('k', at(60)), 1);
          assert.equal(await store.incrementCounter('other', at(0)), 1);
          assert.equal(await store.getCounter('k', at(0)), 5);
          assert.equal(await store.pruneCounters(at(60)), 2);
          assert.equal(await store.getCounter('k', at(0)), 0);
          assert.equal(await store.getCounter('k', at(60)), 1);
          await rejectsWith(store.incrementCounter('k', at(0), 1.5), 'E_STORE_INVALID');
        }));

      test('a sliding window sums the windows starting at or after a time; an addition can be taken back', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.sumCounter('k', at(0)), 0);
          await store.incrementCounter('k', at(0), 2);
          await store.incrementCounter('k', at(30), 3);
          await store.incrementCounter('k', at(60), 4);
          await store.incrementCounter('other', at(60), 100);
          assert.equal(await store.sumCounter('k', at(0)), 9);
          assert.equal(await store.sumCounter('k', at(30)), 7);
          assert.equal(await store.sumCounter('k', at(31)), 4);
          assert.equal(await store.sumCounter('k', at(61)), 0);
          assert.equal(await store.incrementCounter('k', at(60), -4), 0);
          assert.equal(await store.sumCounter('k', at(0)), 5);
          await rejectsWith(store.sumCounter('k', 'yesterday'), 'E_STORE_INVALID');
        }));
    });

    describe('agent state', () => {
      test('a state record is written once from version 0, then only from the version read', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.getState('trust', 'agent-a'), null);
          const first = await store.putState('trust', 'agent-a', { score: 500 }, 0, at(1));
          assert.deepEqual(first, {
            kind: 'trust',
            key: 'agent-a',
            value: { score: 500 },
            version: 1,
            updated_at: at(1),
          });
          assert.equal(await store.putState('trust', 'agent-a', { score: 1 }, 0, at(2)), null);
          assert.equal(await store.putState('trust', 'agent-a', { score: 1 }, 2, at(2)), null);
          const second = await store.putState('trust', 'agent-a', { score: 450 }, 1, at(3));
          assert.equal(second?.version, 2);
          assert.deepEqual((await store.getState('trust', 'agent-a'))?.value, { score: 450 });
          assert.equal(await store.getState('breaker', 'agent-a'), null, 'kinds are separate');
        }));

      test('of concurrent writers from one version exactly one wins, across two instances too', (t) =>
        withStore(async ({ store, second }) => {
          await store.putState('breaker', 'agent-a', { open: false }, 0, at(0));
          const other = second ? await second() : store;
          if (!second) t.diagnostic(`${engine} has no second instance: one instance only`);
          const results = await Promise.all(
            Array.from({ length: 40 }, (_, i) =>
              (i % 2 ? store : other).putState('breaker', 'agent-a', { open: true, by: i }, 1, at(1)),
            ),
          );
          assert.equal(results.filter((r) => r !== null).length, 1);
          assert.equal((await store.getState('breaker', 'agent-a'))?.version, 2);
        }));

      test('records are listed per kind by key; malformed values and versions are E_STORE_INVALID', () =>
        withStore(async ({ store }) => {
          await store.putState('baseline', 'b|x', { ewma: 2 }, 0, at(0));
          await store.putState('baseline', 'a', { ewma: 1 }, 0, at(0));
          await store.putState('trust', 'a', { score: 1 }, 0, at(0));
          assert.deepEqual(
            (await store.listState('baseline')).map((r) => r.key),
            ['a', 'b|x'],
          );
          await rejectsWith(store.putState('trust', 'x', [] as never, 0, at(0)), 'E_STORE_INVALID');
          await rejectsWith(
            store.putState('trust', 'x', { big: 'y'.repeat(70_000) }, 0, at(0)),
            'E_STORE_INVALID',
          );
          await rejectsWith(store.putState('trust', 'x', { a: 1 }, -1, at(0)), 'E_STORE_INVALID');
          await rejectsWith(store.putState('trust', 'x', { a: 1 }, 0, 'now'), 'E_STORE_INVALID');
          await rejectsWith(store.putState('', 'x', { a: 1 }, 0, at(0)), 'E_STORE_INVALID');
        }));
    });

    describe('durability and lifecycle', () => {
      test('principals (delegations, revocations, DPoP), channels, chunks, sessions, reviews, redemptions, client runs, counters and agent state survive a restart', async (t) => {
        const opened = await open();
        if (!opened.reopen) {
          await opened.store.close();
          return t.skip(`${engine} has no reopen`);
        }
        const store = opened.store;
        await seed(store);
        await store.putChunk(chunk('a', 'syslog', 'semi_trusted', { injection_suspected: true }));
        await store.addSessionChunks('s1', 'agent-a', ['a']);
        await store.createReview(review('r1', 'agent-a', { required_approvals: 2 }));
        await store.recordReviewDecision('r1', {
          approver: 'approver-1',
          approve: true,
          note: 'one',
          at: at(10),
        });
        await store.createReview(review('r2', 'agent-b'));
        await store.recordReviewDecision('r2', {
          approver: 'approver-1',
          approve: true,
          note: 'ok',
          at: at(10),
        });
        await store.redeemToken('jti-1', at(5), at(1));
        await store.createClientRun(clientRun('run-1', 'agent-a'));
        await store.incrementCounter('k', at(0), 7);
        await store.createPrincipal(
          principal('delegate', { parent_id: 'agent-a', scope: { tools: ['read_logs'] } }),
        );
        await store.revokePrincipal('agent-b', at(4));
        await store.setPrincipalDpopRequired('agent-a', true);
        await store.putState('trust', 'agent-a', { score: 420 }, 0, at(4));
        const before = {
          principals: await store.listPrincipals(),
          channels: await store.listChannels(),
          chunks: await store.getChunks(['a']),
          session: await store.sessionChunkIds('s1', 'agent-a'),
          reviews: await store.listReviews(),
        };
        await store.close();
        const restarted = await opened.reopen();
        try {
          assert.deepEqual(
            {
              principals: await restarted.listPrincipals(),
              channels: await restarted.listChannels(),
              chunks: await restarted.getChunks(['a']),
              session: await restarted.sessionChunkIds('s1', 'agent-a'),
              reviews: await restarted.listReviews(),
            },
            before,
          );
          assert.equal(await restarted.getCounter('k', at(0)), 7);
          assert.deepEqual((await restarted.getState('trust', 'agent-a'))?.value, { score: 420 });
          assert.equal(await restarted.putState('trust', 'agent-a', { score: 0 }, 0, at(5)), null);
          assert.equal(await restarted.redeemToken('jti-1', at(5), at(2)), false);
          assert.equal((await restarted.closeClientRun('run-1', 'agent-a', at(2))).outcome, 'closed');
          const second = await restarted.recordReviewDecision('r1', {
            approver: 'approver-1',
            approve: true,
            note: 'again',
            at: at(20),
          });
          assert.equal(second.outcome, 'conflict', 'the first approval survived the restart');
          const conflict = await restarted.recordReviewDecision('r2', {
            approver: 'approver-2',
            approve: false,
            note: 'late',
            at: at(20),
          });
          assert.equal(conflict.outcome, 'conflict', 'the decision survived the restart');
        } finally {
          await restarted.close();
        }
      });

      test('a closed store refuses every call with E_STORE_CLOSED, and closing twice is harmless', async () => {
        const { store } = await open();
        await store.close();
        await store.close();
        const calls: Promise<unknown>[] = [
          store.createPrincipal(principal('a')),
          store.getPrincipal('a'),
          store.principalByKeyHash(keyHash('k')),
          store.listPrincipals(),
          store.setPrincipalDisabled('a', true),
          store.createChannel({ name: 'c', trust: 'trusted', created_by: 'a', created_at: at(0) }),
          store.getChannel('c'),
          store.listChannels(),
          store.putChunk(chunk('x', 'c', 'trusted')),
          store.getChunks(['x']),
          store.addSessionChunks('s', 'a', []),
          store.sessionChunkIds('s', 'a'),
          store.createReview(review('r', 'a')),
          store.getReview('r'),
          store.listReviews(),
          store.recordReviewDecision('r', { approver: 'b', approve: true, note: '', at: at(1) }),
          store.expireReviews(at(1)),
          store.redeemToken('j', at(1), at(0)),
          store.pruneRedemptions(at(1)),
          store.createClientRun(clientRun('j', 'a')),
          store.closeClientRun('j', 'a', at(1)),
          store.pruneClientRuns(at(1)),
          store.incrementCounter('k', at(0)),
          store.getCounter('k', at(0)),
          store.pruneCounters(at(0)),
          store.setPrincipalDpopRequired('a', true),
          store.revokePrincipal('a', at(0)),
          store.getState('trust', 'a'),
          store.putState('trust', 'a', {}, 0, at(0)),
          store.listState('trust'),
        ];
        for (const call of calls) await rejectsWith(call, 'E_STORE_CLOSED');
      });
    });
  });
}
