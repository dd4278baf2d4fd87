// The ClusterExternalSecret reconciler with a fake world: which namespaces it provisions, what it
// writes (and that an ExternalSecret already as wanted costs nothing), what it never touches,
// and the status and conditions it derives.

import { describe, expect, it } from '@jest/globals';
import type { ClusterExternalSecret, ExternalSecret, Namespace } from '../../api/types.js';
import { childPatch, newChild, ownerRef, selectorProblem } from './children.js';
import {
  cesConditions,
  cesRefreshIntervalMs,
  cesStatus,
  EXISTS_MESSAGE,
  FAILED_MESSAGE,
  reconcileClusterExternalSecret,
} from './reconcile.js';
import type { CesOutcome } from './reconcile.js';
import { ownerCesName } from './world.js';
import type { CesWorld } from './world.js';

function ns(
  name: string,
  labels: Record<string, string> = {},
  extra: Partial<Namespace['metadata']> = {},
): Namespace {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, ...extra } };
}

function ces(
  spec: Partial<NonNullable<ClusterExternalSecret['spec']>> = {},
  meta: object = {},
): ClusterExternalSecret {
  return {
    metadata: { name: 'shared', uid: 'ces-uid', generation: 3, ...meta },
    spec: {
      externalSecretSpec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'token', remoteRef: { key: 'app/token' } }],
      },
      namespaceSelectors: [{ matchLabels: { team: 'a' } }],
      ...spec,
    },
  };
}

function world(namespaces: Namespace[], externalSecrets: ExternalSecret[] = []): CesWorld {
  return {
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    namespaces: () => namespaces,
    externalSecret: (namespace, name) =>
      externalSecrets.find((e) => e.metadata.namespace === namespace && e.metadata.name === name),
    children: (cesName) => externalSecrets.filter((e) => ownerCesName(e) === cesName),
  };
}

/** The child as the apiserver would hold it after a create. */
function created(c: ClusterExternalSecret, namespace: string, uid = `uid-${namespace}`): ExternalSecret {
  const body = newChild(c, namespace);
  return { ...body, metadata: { ...body.metadata, uid, resourceVersion: '5', generation: 1 } };
}

const ops = (o: CesOutcome) => o.writes.map((w) => `${w.op} ${w.namespace}/${w.name}`);

describe('reconcileClusterExternalSecret', () => {
  it('creates the ExternalSecret in every namespace a selector or the name list picks, sorted', () => {
    const c = ces({ namespaces: ['by-name'] });
    const out = reconcileClusterExternalSecret(
      c,
      world([ns('b-team', { team: 'a' }), ns('other'), ns('a-team', { team: 'a' }), ns('by-name')]),
    );
    expect(ops(out)).toEqual(['create a-team/shared', 'create b-team/shared', 'create by-name/shared']);
    expect(out.provisioned).toEqual(['a-team', 'b-team', 'by-name']);
    expect(out.failures).toEqual([]);
    const body = out.writes[0]!.op === 'create' ? (out.writes[0]!.body as ExternalSecret) : undefined;
    expect(body?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterExternalSecret',
        name: 'shared',
        uid: 'ces-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(body?.spec).toEqual(c.spec?.externalSecretSpec);
  });

  it('selects with the deprecated namespaceSelector and with matchExpressions; no selector selects nothing', () => {
    const namespaces = [ns('x', { env: 'prod' }), ns('y', { env: 'dev' }), ns('z')];
    const deprecated = ces({
      namespaceSelectors: undefined,
      namespaceSelector: { matchLabels: { env: 'prod' } },
    });
    expect(reconcileClusterExternalSecret(deprecated, world(namespaces)).provisioned).toEqual(['x']);
    const expr = ces({
      namespaceSelectors: [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }],
    });
    expect(reconcileClusterExternalSecret(expr, world(namespaces)).provisioned).toEqual(['y', 'z']);
    const none = ces({ namespaceSelectors: undefined });
    expect(reconcileClusterExternalSecret(none, world(namespaces)).writes).toEqual([]);
    const all = ces({ namespaceSelectors: [{}] });
    expect(reconcileClusterExternalSecret(all, world(namespaces)).provisioned).toEqual(['x', 'y', 'z']);
  });

  it('writes nothing for ExternalSecrets already as wanted', () => {
    const c = ces();
    const out = reconcileClusterExternalSecret(c, world([ns('a', { team: 'a' })], [created(c, 'a')]));
    expect(out.writes).toEqual([]);
    expect(out.provisioned).toEqual(['a']);
  });

  it('never touches an ExternalSecret of the same name it does not control, and reports it as ESO does', () => {
    const c = ces();
    const foreign: ExternalSecret = { metadata: { name: 'shared', namespace: 'a', uid: 'x' }, spec: {} };
    const otherCes: ExternalSecret = {
      ...created(c, 'b'),
      metadata: { ...created(c, 'b').metadata, ownerReferences: [{ ...ownerRef(c), name: 'other' }] },
    };
    const out = reconcileClusterExternalSecret(
      c,
      world([ns('a', { team: 'a' }), ns('b', { team: 'a' }), ns('c', { team: 'a' })], [foreign, otherCes]),
    );
    expect(ops(out)).toEqual(['create c/shared']);
    expect(out.failures).toEqual([
      { namespace: 'a', reason: EXISTS_MESSAGE },
      { namespace: 'b', reason: EXISTS_MESSAGE },
    ]);
  });

  it('patches only what changed: spec fields, labels and annotations exactly as externalSecretMetadata says', () => {
    const c = ces({ externalSecretMetadata: { labels: { tier: 'db' }, annotations: { note: 'x' } } });
    const child = created(c, 'a');
    child.metadata.labels = { tier: 'web', extra: 'y' };
    child.spec = { ...child.spec, refreshInterval: '5m', refreshPolicy: 'OnChange' };
    const out = reconcileClusterExternalSecret(c, world([ns('a', { team: 'a' })], [child]));
    expect(out.writes).toEqual([
      {
        op: 'patch',
        namespace: 'a',
        name: 'shared',
        patch: {
          metadata: { labels: { extra: null, tier: 'db' } },
          spec: { refreshPolicy: null, refreshInterval: '1h' },
        },
      },
    ]);
  });

  it('passes the force-sync annotation of the ClusterExternalSecret on, and removes it when that goes', () => {
    const forced = ces({}, { annotations: { 'external-secrets.io/force-sync': '1700000000' } });
    const child = created(ces(), 'a');
    expect(childPatch(forced, child)).toEqual({
      metadata: { annotations: { 'external-secrets.io/force-sync': '1700000000' } },
    });
    const withForce = created(forced, 'a');
    expect(childPatch(ces(), withForce)).toEqual({
      metadata: { annotations: { 'external-secrets.io/force-sync': null } },
    });
    // One in externalSecretMetadata is dropped, as in ESO: only the object's own counts.
    const viaMeta = ces({
      externalSecretMetadata: { annotations: { 'external-secrets.io/force-sync': 'x' } },
    });
    expect(newChild(viaMeta, 'a').metadata.annotations).toBeUndefined();
  });

  it('deletes its ExternalSecrets where namespaces stopped matching, never in namespaces being deleted', () => {
    const c = ces();
    const out = reconcileClusterExternalSecret(
      c,
      world(
        [
          ns('kept', { team: 'a' }),
          ns('relabelled'),
          ns('going', { team: 'a' }, { deletionTimestamp: 'now' }),
        ],
        [created(c, 'kept'), created(c, 'relabelled'), created(c, 'going')],
      ),
    );
    expect(out.writes).toEqual([
      { op: 'delete', namespace: 'relabelled', name: 'shared', uid: 'uid-relabelled' },
    ]);
    expect(out.provisioned).toEqual(['kept']);
  });

  it('moves to a new externalSecretName: the old ExternalSecrets go, the new ones come', () => {
    const old = ces();
    const renamed = ces({ externalSecretName: 'renamed' });
    const out = reconcileClusterExternalSecret(renamed, world([ns('a', { team: 'a' })], [created(old, 'a')]));
    expect(ops(out)).toEqual(['create a/renamed', 'delete a/shared']);
    expect(out.externalSecretName).toBe('renamed');
  });

  it('takes a child back under a new uid (recreated ClusterExternalSecret), keeping other owner references', () => {
    const c = ces();
    const child = created({ ...c, metadata: { ...c.metadata, uid: 'old-uid' } }, 'a');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm-uid' };
    child.metadata.ownerReferences = [cm, ...(child.metadata.ownerReferences ?? [])];
    expect(childPatch(c, child)).toEqual({ metadata: { ownerReferences: [cm, ownerRef(c)] } });
  });

  it("releases ESO's namespace finalizer for this ClusterExternalSecret wherever it is", () => {
    const fin = 'externalsecrets.external-secrets.io/ces-shared';
    const out = reconcileClusterExternalSecret(
      ces(),
      world([
        ns('a', { team: 'a' }, { finalizers: [fin] }),
        ns('b', {}, { finalizers: [fin, 'other'] }),
        ns('c', {}, { finalizers: ['externalsecrets.external-secrets.io/ces-other'] }),
      ]),
    );
    expect(out.releaseNamespaces).toEqual(['a', 'b']);
  });

  it('reports an invalid selector or refreshTime and writes nothing', () => {
    const c = ces({
      namespaceSelectors: [{ matchExpressions: [{ key: 'team', operator: 'In', values: [] }] }],
    });
    const out = reconcileClusterExternalSecret(c, world([ns('a', { team: 'a' })]));
    expect(out.writes).toEqual([]);
    expect(out.invalid).toBe('namespace selector 1: operator In on "team" needs at least one value');
    const bad = reconcileClusterExternalSecret(ces({ refreshTime: 'soon' }), world([]));
    expect(bad.invalid).toMatch(/^invalid refreshTime "soon"/);
    expect(selectorProblem({ matchLabels: { 'bad key!': 'x' } })).toMatch(/not a valid label key/);
    expect(selectorProblem({ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['v'] }] })).toMatch(
      /takes no values/,
    );
    expect(selectorProblem({ matchLabels: { 'example.com/team': 'a-1' } })).toBeUndefined();
  });

  it('re-checks every refreshTime (1h by default) with a stable jitter; 0 only on changes', () => {
    expect(cesRefreshIntervalMs(ces())).toEqual({ ms: 3_600_000 });
    expect(cesRefreshIntervalMs(ces({ refreshTime: '30s' }))).toEqual({ ms: 30_000 });
    // The operator's floor raises a shorter refreshTime; 0 keeps meaning "on changes only".
    expect(cesRefreshIntervalMs(ces({ refreshTime: '1s' }), 10_000)).toEqual({ ms: 10_000 });
    expect(cesRefreshIntervalMs(ces({ refreshTime: '0s' }), 10_000)).toEqual({ ms: 0 });
    const out = reconcileClusterExternalSecret(ces(), world([]));
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(3_600_000);
    expect(out.requeueAfterMs).toBeLessThan(3_600_000 + 300_000);
    expect(reconcileClusterExternalSecret(ces(), world([])).requeueAfterMs).toBe(out.requeueAfterMs);
    expect(
      reconcileClusterExternalSecret(ces({ refreshTime: '0s' }), world([])).requeueAfterMs,
    ).toBeUndefined();
  });
});

describe('cesStatus and cesConditions', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const base: CesOutcome = {
    writes: [],
    releaseNamespaces: [],
    externalSecretName: 'shared',
    provisioned: ['a', 'c'],
    failures: [{ namespace: 'b', reason: EXISTS_MESSAGE }],
  };

  it('lists provisioned and failed namespaces sorted, with write failures moved over', () => {
    const st = cesStatus(
      ces(),
      base,
      new Map([['a', 'could not create ExternalSecret "shared": 500 x']]),
      now,
    );
    expect(st.externalSecretName).toBe('shared');
    expect(st.provisionedNamespaces).toEqual(['c']);
    expect(st.failedNamespaces).toEqual([
      { namespace: 'a', reason: 'could not create ExternalSecret "shared": 500 x' },
      { namespace: 'b', reason: EXISTS_MESSAGE },
    ]);
  });

  it('ends with PartiallyReady or NotReady when Ready is False, so the last condition says Degraded', () => {
    const partial = cesStatus(ces(), base, new Map(), now).conditions ?? [];
    expect(partial.map((c) => [c.type, c.status, c.message])).toEqual([
      ['Ready', 'False', FAILED_MESSAGE],
      ['PartiallyReady', 'True', FAILED_MESSAGE],
    ]);
    const none = cesStatus(ces(), { ...base, provisioned: [] }, new Map(), now).conditions ?? [];
    expect(none.map((c) => c.type)).toEqual(['Ready', 'NotReady']);
    const ok = cesStatus(ces(), { ...base, failures: [] }, new Map(), now);
    expect(ok.failedNamespaces).toBeUndefined();
    expect(ok.conditions?.map((c) => [c.type, c.status, c.observedGeneration])).toEqual([
      ['Ready', 'True', 3],
    ]);
  });

  it('keeps conditions of other types first and transition times while the status holds', () => {
    const earlier = '2025-06-01T00:00:00Z';
    const c = ces();
    c.status = {
      conditions: [
        { type: 'Ready', status: 'False', lastTransitionTime: earlier },
        { type: 'Custom', status: 'True' },
        { type: 'NotReady', status: 'True', lastTransitionTime: earlier },
      ],
      failedNamespaces: [{ namespace: 'old', reason: 'x' }],
    };
    const conds = cesConditions(c, 1, 1, undefined, '2026-01-01T00:00:00Z');
    expect(conds.map((x) => [x.type, x.lastTransitionTime])).toEqual([
      ['Custom', undefined],
      ['Ready', earlier],
      ['PartiallyReady', '2026-01-01T00:00:00Z'],
    ]);
  });

  it('on an invalid spec keeps the namespaces it had and names the problem', () => {
    const c = ces();
    c.status = { provisionedNamespaces: ['a'] };
    const st = cesStatus(c, { ...base, invalid: 'invalid refreshTime "soon"' }, new Map(), now);
    expect(st.provisionedNamespaces).toEqual(['a']);
    expect(st.failedNamespaces).toEqual([{ namespace: 'unknown', reason: 'invalid refreshTime "soon"' }]);
    expect(st.conditions?.map((x) => [x.type, x.status, x.reason])).toEqual([
      ['Ready', 'False', 'InvalidSpec'],
      ['NotReady', 'True', 'InvalidSpec'],
    ]);
  });
});
