import { describe, expect, it } from '@jest/globals';
import type { ProviderSpec } from '../api/types.js';
import { audiencesOfStore, identityAnnotations, keyRefsOf } from './store-access.js';

const p = (x: unknown) => x as ProviderSpec;

describe('audiencesOfStore', () => {
  it("asks for the audiences each provider's login asks the TokenRequest API for", () => {
    const sa = { serviceAccountRef: { name: 'app' } };
    expect(audiencesOfStore(p({ aws: { auth: { jwt: sa } } }))).toEqual(['sts.amazonaws.com']);
    expect(
      audiencesOfStore(p({ aws: { auth: { jwt: { serviceAccountRef: { name: 'a', audiences: ['x'] } } } } })),
    ).toEqual(['x']);
    expect(audiencesOfStore(p({ azurekv: { authType: 'WorkloadIdentity', ...sa } }))).toEqual([
      'api://AzureADTokenExchange',
    ]);
    // Without serviceAccountRef, Azure's own webhook gives the pod its token.
    expect(audiencesOfStore(p({ azurekv: { authType: 'WorkloadIdentity' } }))).toEqual([]);
    // ESO's default for jwt's TokenRequest token, as the operator's login asks.
    expect(audiencesOfStore(p({ vault: { auth: { jwt: { kubernetesServiceAccountToken: sa } } } }))).toEqual([
      'vault',
    ]);
    expect(
      audiencesOfStore(
        p({ vault: { auth: { jwt: { kubernetesServiceAccountToken: { ...sa, audiences: ['bao'] } } } } }),
      ),
    ).toEqual(['bao']);
    expect(audiencesOfStore(p({ vault: { auth: { kubernetes: { role: 'r', ...sa } } } }))).toEqual([]);
  });
});

describe('keyRefsOf', () => {
  it('refuses a key that is not one file name', () => {
    const ref = (key: string) =>
      p({ aws: { auth: { secretRef: { accessKeyIDSecretRef: { name: 's', key } } } } });
    expect(keyRefsOf(ref('id'), 'shop', 'SecretStore "a"')).toEqual([
      {
        kind: 'Secret',
        name: 's',
        key: 'id',
        field: 'spec.provider.aws.auth.secretRef.accessKeyIDSecretRef',
      },
    ]);
    for (const bad of ['../x', 'a/b', '..data'])
      expect(() => keyRefsOf(ref(bad), 'shop', 'SecretStore "a"')).toThrow(/is not valid/);
  });
});

describe('identityAnnotations', () => {
  it('keeps the identity annotations only', () => {
    expect(
      identityAnnotations({
        'eks.amazonaws.com/role-arn': 'arn',
        'azure.workload.identity/client-id': 'c',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
      }),
    ).toEqual({ 'eks.amazonaws.com/role-arn': 'arn', 'azure.workload.identity/client-id': 'c' });
  });
});
