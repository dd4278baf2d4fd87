import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../api/types.js';
import { reloaderReason } from './match.js';
import { NamespaceBudget, PendingRestarts, dueAt } from './state.js';
import {
  RELOADER,
  parseRestartTargets,
  podSecrets,
  reloaderOptIn,
  secretHashAnnotation,
  secretHashValue,
  workloadTransform,
} from './workloads.js';
import type { Workload } from './workloads.js';

function deployment(annotations: Record<string, string>, template: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'team', uid: 'u1', resourceVersion: '7', annotations },
    spec: {
      replicas: 3,
      template: {
        metadata: { annotations: { 'secret-hash.syncret.io/db': 'abc', other: 'x' } },
        spec: {
          volumes: [
            { name: 'certs', secret: { secretName: 'tls' } },
            { name: 'unused', secret: { secretName: 'never-mounted' } },
            {
              name: 'bundle',
              projected: { sources: [{ secret: { name: 'ca' } }, { configMap: { name: 'c' } }] },
            },
          ],
          containers: [
            {
              name: 'app',
              volumeMounts: [{ name: 'certs' }],
              env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'p' } } }],
              envFrom: [{ secretRef: { name: 'api-keys' } }],
            },
          ],
          initContainers: [{ name: 'init', volumeMounts: [{ name: 'bundle' }] }],
        },
        ...template,
      },
    },
  } as KubeObject;
}

describe('the workload cache', () => {
  it('keeps identity, the opt-in, the Secrets the pods use and Syncret hashes, and nothing of the spec', () => {
    const w = workloadTransform('Deployment', true)(deployment({ [RELOADER.auto]: 'true', unrelated: 'y' }));
    expect(w).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'team', uid: 'u1', resourceVersion: '7' },
      rollout: {
        reloader: { auto: true, search: false, reload: [], exclude: [] },
        secrets: ['api-keys', 'ca', 'db', 'tls'],
        hashes: { 'secret-hash.syncret.io/db': 'abc' },
      },
    });
    // Without --reloader-annotations the opt-in is not even parsed.
    expect(workloadTransform('Deployment', false)(deployment({ [RELOADER.auto]: 'true' })).rollout).toEqual({
      hashes: { 'secret-hash.syncret.io/db': 'abc' },
    });
  });

  it('reads Reloader switches from the workload, else from the pod template, as Reloader does', () => {
    expect(reloaderOptIn({ [RELOADER.reload]: 'a, b-.*' }, { [RELOADER.auto]: 'true' })).toEqual({
      auto: false,
      search: false,
      reload: ['a', 'b-.*'],
      exclude: [],
    });
    expect(reloaderOptIn({ [RELOADER.exclude]: 'x' }, { [RELOADER.secretAuto]: 'True' })).toEqual({
      auto: true,
      search: false,
      reload: [],
      exclude: ['x'],
    });
    expect(reloaderOptIn({ [RELOADER.auto]: 'false' }, { [RELOADER.auto]: 'true' })).toBeUndefined();
    expect(reloaderOptIn({ [RELOADER.search]: 'yes' }, undefined)).toBeUndefined();
    expect(podSecrets(undefined)).toEqual([]);
  });

  it('matches a changed Secret as Reloader: reload by regexp, search with match, auto when used', () => {
    const w = (a: Record<string, string>) => workloadTransform('Deployment', true)(deployment(a)) as Workload;
    expect(reloaderReason(w({ [RELOADER.reload]: 'db-.*' }), 'db-main', {})).toBe('reloader-reload');
    // Reload needs no reference from the pods; the whole name must match.
    expect(reloaderReason(w({ [RELOADER.reload]: 'db' }), 'db-main', {})).toBeUndefined();
    expect(reloaderReason(w({ [RELOADER.reload]: '[' }), '[', {})).toBeUndefined();
    expect(reloaderReason(w({ [RELOADER.search]: 'true' }), 'db', { [RELOADER.match]: 'true' })).toBe(
      'reloader-search',
    );
    expect(reloaderReason(w({ [RELOADER.search]: 'true' }), 'db', {})).toBeUndefined();
    expect(
      reloaderReason(w({ [RELOADER.search]: 'true' }), 'unused', { [RELOADER.match]: 'true' }),
    ).toBeUndefined();
    expect(reloaderReason(w({ [RELOADER.auto]: 'true' }), 'tls', {})).toBe('reloader-auto');
    expect(reloaderReason(w({ [RELOADER.auto]: 'true' }), 'never-mounted', {})).toBeUndefined();
    expect(
      reloaderReason(w({ [RELOADER.auto]: 'true' }), 'tls', { [RELOADER.ignore]: 'true' }),
    ).toBeUndefined();
    expect(
      reloaderReason(w({ [RELOADER.auto]: 'true', [RELOADER.exclude]: 'tls,db' }), 'tls', {}),
    ).toBeUndefined();
  });

  it('parses the ExternalSecret annotation as kubectl spells kinds', () => {
    expect(
      parseRestartTargets(' deployment/api,sts/db  ds/agent, rollouts.argoproj.io/web deploy/api'),
    ).toEqual({
      targets: [
        { kind: 'Deployment', name: 'api' },
        { kind: 'StatefulSet', name: 'db' },
        { kind: 'DaemonSet', name: 'agent' },
        { kind: 'Rollout', name: 'web' },
      ],
      invalid: [],
    });
    expect(parseRestartTargets('pod/x,deployment/Bad_Name,api,/x').invalid).toEqual([
      'pod/x',
      'deployment/Bad_Name',
      'api',
      '/x',
    ]);
  });

  it('names annotations within the limits and keys the hash with the Secret uid', () => {
    expect(secretHashAnnotation('db')).toBe('secret-hash.syncret.io/db');
    const long = secretHashAnnotation(`${'a'.repeat(60)}.b-c`);
    expect(long.split('/')[1]!.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(secretHashAnnotation(`${'a'.repeat(60)}.b-d`));
    expect(secretHashValue('uid-1', 'h')).not.toBe(secretHashValue('uid-2', 'h'));
    expect(secretHashValue('uid-1', 'h')).toHaveLength(32);
  });
});

describe('pending restarts', () => {
  const es = { metadata: { namespace: 'team', name: 'db' } };

  it('merges a burst per workload and settles only what was written', () => {
    const p = new PendingRestarts();
    p.add('Deployment', 'team/api', { secret: 'a', value: 'v1', reason: 'annotation', source: es, at: 0 });
    p.add('Deployment', 'team/api', {
      secret: 'b',
      value: 'v2',
      reason: 'reloader-auto',
      source: es,
      at: 100,
    });
    p.add('Deployment', 'team/api', { secret: 'a', value: 'v3', reason: 'annotation', source: es, at: 200 });
    const got = p.get('Deployment', 'team/api')!;
    expect([...got.keys()]).toEqual(['a', 'b']);
    expect(dueAt(got, 1000, 4000)).toBe(1200);
    // The restart wrote a=v1 (an older value) and b=v2: a changed since and stays.
    p.settle('Deployment', 'team/api', { a: 'v1', b: 'v2' });
    expect([...p.get('Deployment', 'team/api')!.keys()]).toEqual(['a']);
    p.settle('Deployment', 'team/api', { a: 'v3' });
    expect(p.size).toBe(0);
  });

  it('never waits past the longest wait after the first change', () => {
    const p = new PendingRestarts();
    p.add('Deployment', 'k', { secret: 'a', value: 'v', reason: 'annotation', source: es, at: 0 });
    p.add('Deployment', 'k', { secret: 'b', value: 'v', reason: 'annotation', source: es, at: 3900 });
    expect(dueAt(p.get('Deployment', 'k')!, 1000, 4000)).toBe(4000);
  });

  it('limits restarts per namespace, each namespace on its own', () => {
    let now = 0;
    const b = new NamespaceBudget(2, () => now);
    expect([b.take('a'), b.take('a')]).toEqual([0, 0]);
    expect(b.take('a')).toBe(30_000);
    expect(b.take('b')).toBe(0);
    now = 30_000;
    expect(b.take('a')).toBe(0);
    expect(new NamespaceBudget(0).take('a')).toBe(0);
  });
});
