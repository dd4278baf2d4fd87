import { describe, expect, it } from '@jest/globals';
import { collectionPath, objectPath, resourceLabel, resourcePath } from './paths.js';
import {
  CLUSTER_SECRET_STORES,
  EXTERNAL_SECRETS,
  NAMESPACES,
  SECRETS,
  SERVICEACCOUNTS,
} from './resources.js';

describe('resourcePath', () => {
  it('builds core, group, namespaced, cluster-scoped and subresource paths', () => {
    expect(resourcePath(SECRETS)).toBe('/api/v1/secrets');
    expect(resourcePath(SECRETS, 'ns')).toBe('/api/v1/namespaces/ns/secrets');
    expect(resourcePath(SECRETS, 'ns', 'a.b')).toBe('/api/v1/namespaces/ns/secrets/a.b');
    expect(resourcePath(NAMESPACES, undefined, 'kube-system')).toBe('/api/v1/namespaces/kube-system');
    expect(resourcePath(CLUSTER_SECRET_STORES, 'ignored', 'x')).toBe(
      '/apis/external-secrets.io/v1/clustersecretstores/x',
    );
    expect(resourcePath(EXTERNAL_SECRETS, 'ns', 'es', 'status')).toBe(
      '/apis/external-secrets.io/v1/namespaces/ns/externalsecrets/es/status',
    );
    expect(resourcePath(SERVICEACCOUNTS, 'ns', 'sa', 'token')).toBe(
      '/api/v1/namespaces/ns/serviceaccounts/sa/token',
    );
  });
});

describe('objectPath and collectionPath', () => {
  it('require a namespace for namespaced types and a name for objects', () => {
    expect(objectPath({ type: SECRETS, namespace: 'ns', name: 's' })).toBe('/api/v1/namespaces/ns/secrets/s');
    expect(() => objectPath({ type: SECRETS, name: 's' })).toThrow(/namespace is required/);
    expect(() => objectPath({ type: SECRETS, namespace: 'ns' })).toThrow(/needs a name/);
    expect(collectionPath({ type: SECRETS, namespace: 'ns' })).toBe('/api/v1/namespaces/ns/secrets');
    expect(collectionPath({ type: NAMESPACES })).toBe('/api/v1/namespaces');
    expect(() => collectionPath({ type: SECRETS })).toThrow(/namespace is required/);
  });

  it('labels a resource with its subresource', () => {
    expect(resourceLabel(EXTERNAL_SECRETS, 'status')).toBe('externalsecrets/status');
    expect(resourceLabel(SECRETS)).toBe('secrets');
  });
});
