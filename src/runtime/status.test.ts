// The one status writer: skips unchanged status, remembers its writes, and never fails silently.

import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret } from '../api/types.js';
import { EXTERNAL_SECRETS } from '../kube/resources.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { KubeApiError } from '../kube/types.js';
import { ObjectCache } from './cache.js';
import { statusWriter } from './status.js';

function setup() {
  const api = new MemoryApi();
  const es = api.seed<ExternalSecret>(EXTERNAL_SECRETS, {
    metadata: { name: 'app', namespace: 'ns' },
    spec: {},
  });
  const seen: string[] = [];
  const write = statusWriter<ExternalSecret>({
    api,
    type: EXTERNAL_SECRETS,
    cache: new ObjectCache<ExternalSecret>([]),
    signal: new AbortController().signal,
    onWrite: (written) => seen.push(written ? 'written' : 'skipped'),
    onFailed: (code) => seen.push(`failed ${code}`),
    logger: { warn: (o, m) => seen.push(`warn ${m} ${JSON.stringify(o)}`) },
  });
  return { api, es, seen, write };
}

describe('statusWriter', () => {
  it('writes a changed status and skips an unchanged one', async () => {
    const t = setup();
    await t.write(t.es, { observedGeneration: 1 });
    await t.write({ ...t.es, status: { observedGeneration: 1 } }, { observedGeneration: 1 });
    expect(t.seen).toEqual(['written', 'skipped']);
  });

  it('logs and counts a refused write, bounded, and still throws for the retry', async () => {
    const t = setup();
    const huge = 'k'.repeat(100_000);
    t.api.failNext(
      'patch',
      new KubeApiError(500, 'InternalError', `etcdserver: request is too large ${huge}`),
    );
    await expect(t.write(t.es, { observedGeneration: 2 })).rejects.toThrow(KubeApiError);
    expect(t.seen[0]).toBe('failed 500');
    expect(t.seen[1]).toMatch(/^warn status write failed; retried with backoff /);
    const logged = JSON.parse(t.seen[1]!.replace(/^warn [^{]*/, '')) as Record<string, unknown>;
    expect(logged).toMatchObject({ kind: 'ExternalSecret', namespace: 'ns', name: 'app', code: 500 });
    expect(String(logged.detail).length).toBeLessThanOrEqual(512);
  });

  it('counts a write that got no answer as code 0, and says nothing when the object is gone', async () => {
    const t = setup();
    t.api.failNext('patch', new Error('socket hang up'));
    await expect(t.write(t.es, { observedGeneration: 3 })).rejects.toThrow('socket hang up');
    t.api.failNext('patch', new KubeApiError(404, 'NotFound', 'gone'));
    await t.write(t.es, { observedGeneration: 4 });
    expect(t.seen.filter((s) => s.startsWith('failed'))).toEqual(['failed 0']);
  });
});
