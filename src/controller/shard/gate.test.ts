import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../api/types.js';
import { SHARD_EPOCH_ANNOTATION, ownerOf } from '../../kube/shards.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { WorkQueue } from '../../runtime/queue.js';
import { ShardGate } from './gate.js';

const obj = (namespace: string, name: string, epoch?: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'X',
  metadata: {
    namespace,
    name,
    ...(epoch ? { annotations: { [SHARD_EPOCH_ANNOTATION]: String(epoch) } } : {}),
  },
});

/** The two methods the gate reads, over a plain map. */
function cacheOf(objs: KubeObject[]): ObjectCache<KubeObject> {
  const m = new Map(objs.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  return { keys: () => m.keys(), get: (k: string) => m.get(k) } as unknown as ObjectCache<KubeObject>;
}

/** A namespace that `members` gives to `owner`. */
function nsOwnedBy(owner: string, members: string[], skip = 0): string {
  for (let i = 0, found = 0; ; i++)
    if (ownerOf(`ns-${i}`, members) === owner && found++ === skip) return `ns-${i}`;
}

describe('ShardGate', () => {
  it('runs what the accepted ring gives it, or what was labelled under a newer epoch', async () => {
    const gate = new ShardGate('a');
    const mine = nsOwnedBy('a', ['a', 'b']);
    const theirs = nsOwnedBy('b', ['a', 'b']);
    expect(gate.selector).toBe('sharding.syncret.io/shard=a');
    expect(gate.admit('x', obj(mine, 'o'))).toBe(false); // nothing accepted yet
    await gate.accept(5, ['a', 'b'], new AbortController().signal);
    expect(gate.admit('x', obj(mine, 'o'))).toBe(true);
    expect(gate.admit('x', obj(theirs, 'o', 5))).toBe(false); // leaving
    expect(gate.admit('x', obj(theirs, 'o', 6))).toBe(true); // the assigner is ahead of us
  });

  it("selects the managed Secrets of its own buckets, none before its first ring, and labels each with its namespace's", async () => {
    const gate = new ShardGate('a');
    expect(gate.secretSelector()).toBe('sharding.syncret.io/bucket=none');
    await gate.accept(1, ['a', 'b'], new AbortController().signal);
    const mine = nsOwnedBy('a', ['a', 'b']);
    const theirs = nsOwnedBy('b', ['a', 'b']);
    const sel = gate.secretSelector();
    expect(sel).toMatch(/^sharding\.syncret\.io\/bucket in \(([0-9a-f]{3},)+[0-9a-f]{3}\)$/);
    const buckets = sel.slice(sel.indexOf('(') + 1, -1).split(',');
    expect(buckets).toContain(gate.targetLabels(mine)['sharding.syncret.io/bucket']);
    expect(buckets).not.toContain(gate.targetLabels(theirs)['sharding.syncret.io/bucket']);
    expect(gate.keepsSecretsOf(mine)).toBe(true);
    expect(gate.keepsSecretsOf(theirs)).toBe(false);
  });

  it('on a new epoch drops the objects that leave and resolves only after their runs finished', async () => {
    const gate = new ShardGate('a');
    const stays = nsOwnedBy('a', ['a', 'b']);
    const leaves = nsOwnedBy('b', ['a', 'b']);
    const objs = [obj(stays, 's'), obj(leaves, 'l')];
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((r) => (release = r));
    const ran: string[] = [];
    const queue = new WorkQueue<string>({
      concurrency: 4,
      handler: async (key) => {
        ran.push(key);
        if (key === `${leaves}/l`) await blocked;
        return {};
      },
    });
    gate.track('x', cacheOf(objs), queue);
    await gate.accept(1, ['a'], new AbortController().signal);
    queue.add(`${leaves}/l`, { reason: 'create' });
    await new Promise((r) => setTimeout(r, 10));
    expect(queue.isRunning(`${leaves}/l`)).toBe(true);

    let drained = false;
    const accepting = gate.accept(2, ['a', 'b'], new AbortController().signal).then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 80));
    expect(drained).toBe(false); // its run is still in flight
    release();
    await accepting;
    expect(drained).toBe(true);
    expect(queue.isRunning(`${leaves}/l`)).toBe(false);
    expect(gate.admit('x', obj(leaves, 'l', 2))).toBe(false);

    // Given back in a later epoch: the skipped object runs again.
    await gate.accept(3, ['a'], new AbortController().signal);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran.filter((k) => k === `${leaves}/l`).length).toBe(2);
    await queue.shutdown();
  });

  it('runs what it gains only once the managed-Secret cache listed the new share, and acks after that list', async () => {
    const gate = new ShardGate('a');
    let relists = 0;
    let finish: () => void = () => undefined;
    const secrets = {
      relist: () => {
        relists++;
        return relists === 1 ? Promise.resolve() : new Promise<void>((r) => (finish = r));
      },
    };
    gate.coverSecrets(secrets);
    const ours = nsOwnedBy('a', ['a', 'b']);
    const gone = nsOwnedBy('b', ['a', 'b']); // b's until b leaves
    await gate.accept(1, ['a', 'b'], new AbortController().signal);
    expect(gate.keepsSecretsOf(ours)).toBe(true);
    expect(gate.keepsSecretsOf(gone)).toBe(false);
    expect(gate.admit('x', obj(ours, 'o'))).toBe(true);

    const ran: string[] = [];
    const queue = new WorkQueue<string>({
      concurrency: 2,
      handler: (key) => {
        ran.push(key);
        return Promise.resolve({});
      },
    });
    const moved = obj(gone, 'm', 2); // labelled for us under epoch 2 by an assigner ahead of us
    gate.track('x', cacheOf([moved]), queue);
    // Ours by its label's newer epoch, but its namespace's Secrets are not in our cache yet.
    expect(gate.admit('x', moved)).toBe(false);

    let acked = false;
    const accepting = gate.accept(2, ['a'], new AbortController().signal).then(() => (acked = true));
    expect(gate.keepsSecretsOf(gone)).toBe(true); // the cache now keeps it: the relist is under way
    expect(gate.admit('x', moved)).toBe(false); // its Secrets are not listed yet
    await new Promise((r) => setTimeout(r, 30));
    expect(acked).toBe(false);
    expect(ran).toEqual([]);
    finish();
    await accepting;
    expect(acked).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([`${gone}/m`]);
    expect(gate.admit('x', moved)).toBe(true);
    expect(relists).toBe(2);
    await queue.shutdown();
  });

  it('relists the target.manifest caches with each ring, and neither waits for them nor fails with them', async () => {
    const gate = new ShardGate('a');
    let relists = 0;
    gate.alsoRelist({
      relist: () => {
        relists++;
        return relists === 1 ? new Promise<void>(() => undefined) : Promise.reject(new Error('list failed'));
      },
    });
    await gate.accept(1, ['a', 'b'], new AbortController().signal); // its list never ends
    await gate.accept(2, ['a'], new AbortController().signal); // its list fails
    expect(relists).toBe(2);
    expect(gate.admit('x', obj(nsOwnedBy('a', ['a']), 'o'))).toBe(true);
  });
});
