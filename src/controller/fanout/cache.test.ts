// The fan-out children cache's transform (sharded mode): children whole but for status and
// managedFields, every other object of the kind a stub; and the children's sharding keys,
// written by the assigner, left alone by the fan-out's patches.

import { describe, expect, it } from '@jest/globals';
import type { ClusterExternalSecret, ExternalSecret, PushSecret } from '../../api/types.js';
import { SHARD_EPOCH_ANNOTATION, SHARD_LABEL } from '../../kube/shards.js';
import { Interner } from '../../runtime/intern.js';
import { CES_FANOUT } from '../clusterexternalsecret/children.js';
import { CPS_FANOUT } from '../clusterpushsecret/controller.js';
import { fanoutChildTransform } from './cache.js';
import { childPatch, newChild } from './children.js';

const ces: ClusterExternalSecret = {
  metadata: { name: 'shared', uid: 'u-ces' },
  spec: {
    externalSecretName: 'app',
    externalSecretMetadata: { labels: { team: 'a' } },
    externalSecretSpec: { secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' } },
    namespaceSelectors: [{ matchLabels: { team: 'a' } }],
  },
};

function es(ownerReferences?: ExternalSecret['metadata']['ownerReferences']): ExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: {
      name: 'app',
      namespace: 'ns-1',
      uid: 'u-es',
      resourceVersion: '42',
      generation: 3,
      labels: { team: 'a', [SHARD_LABEL]: 'replica-0' },
      annotations: { note: 'x' },
      managedFields: [{ manager: 'kubectl' }],
      ...(ownerReferences ? { ownerReferences } : {}),
    },
    spec: { secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' }, refreshInterval: '1h' },
    status: { refreshTime: '2024-01-01T00:00:00Z', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

const cesRef = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterExternalSecret',
  name: 'shared',
  uid: 'u-ces',
  controller: true,
};

describe('fanoutChildTransform', () => {
  const transform = fanoutChildTransform<ExternalSecret>(CES_FANOUT);

  it('keeps a child whole, less its status and managedFields', () => {
    const child = es([cesRef]);
    const out = transform(child);
    const { managedFields: _m, ...metadata } = child.metadata;
    expect(out).toEqual({ apiVersion: child.apiVersion, kind: child.kind, metadata, spec: child.spec });
  });

  it('keeps only a stub of an object no ClusterExternalSecret controls', () => {
    const stub = { metadata: { name: 'app', namespace: 'ns-1', uid: 'u-es', resourceVersion: '42' } };
    expect(transform(es())).toEqual(stub);
    // Owned by something else, or only a non-controller reference to a ClusterExternalSecret.
    expect(transform(es([{ ...cesRef, kind: 'Application', apiVersion: 'argoproj.io/v1alpha1' }]))).toEqual(
      stub,
    );
    expect(transform(es([{ ...cesRef, controller: false }]))).toEqual(stub);
    // A ClusterPushSecret's transform does not keep a ClusterExternalSecret's children.
    const ps = es([cesRef]) as unknown as PushSecret;
    expect(fanoutChildTransform<PushSecret>(CPS_FANOUT)(ps)).toEqual(stub);
  });

  it("shares one copy of a namespace's name between the stubs", () => {
    const interner = new Interner();
    const t = fanoutChildTransform<ExternalSecret>(CES_FANOUT, interner);
    const a = es();
    const b = { ...es(), metadata: { ...es().metadata, name: 'other', namespace: ['ns', '1'].join('-') } };
    expect(t(a).metadata.namespace).toBe('ns-1');
    expect(t(b).metadata.namespace).toBe('ns-1');
    expect(interner.size).toBe(1);
  });
});

describe('childPatch and the sharding keys', () => {
  it('neither removes nor sets the shard label and epoch the assigner wrote', () => {
    const child = newChild(CES_FANOUT, ces, 'ns-1');
    child.metadata.labels = { ...child.metadata.labels, [SHARD_LABEL]: 'replica-0' };
    child.metadata.annotations = { [SHARD_EPOCH_ANNOTATION]: '7' };
    expect(childPatch(CES_FANOUT, ces, child)).toBeUndefined();
    // A change of the spec's labels is written; the sharding keys stay out of the patch.
    const relabelled = {
      ...ces,
      spec: { ...ces.spec, externalSecretMetadata: { labels: { team: 'b', [SHARD_LABEL]: 'spoof' } } },
    };
    expect(childPatch(CES_FANOUT, relabelled, child)).toEqual({ metadata: { labels: { team: 'b' } } });
  });
});
