import { describe, expect, it } from '@jest/globals';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretStore } from '../api/types.js';
import { CLUSTER_SECRET_STORES, NAMESPACES, SECRET_STORES, SERVICEACCOUNTS } from '../kube/resources.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { KubeApiError } from '../kube/types.js';
import { InjectionError } from './annotations.js';
import { CopyError, SEA_PATH, copyExecutable } from './copy.js';
import { apiStoreLookup } from './stores.js';

function seeded(): MemoryApi {
  const api = new MemoryApi();
  api.seed(NAMESPACES, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', labels: { team: 'a' } },
  });
  api.seed(CLUSTER_SECRET_STORES, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: 'aws' },
    spec: {
      conditions: [{ namespaceSelector: { matchLabels: { team: 'a' } } }],
      provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
    },
  } as SecretStore);
  api.seed(SECRET_STORES, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'vault', namespace: 'shop' },
    spec: {
      provider: {
        vault: { server: 'https://vault:8200', auth: { kubernetes: { role: 'r', mountPath: 'k' } } },
      },
    },
  } as SecretStore);
  api.seed(SERVICEACCOUNTS, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: 'app',
      namespace: 'shop',
      annotations: {
        'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/app',
        'iam.gke.io/gcp-service-account': 'app@p.iam.gserviceaccount.com',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
      },
    },
  });
  return api;
}

describe('apiStoreLookup', () => {
  it('reads the store and applies its tenancy rules', async () => {
    const lookup = apiStoreLookup(seeded(), '');
    expect(await lookup('ClusterSecretStore', 'aws', 'shop', 'app')).toEqual({
      store: {
        kind: 'ClusterSecretStore',
        name: 'aws',
        provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
      },
      // The identity annotations only.
      serviceAccountAnnotations: {
        'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/app',
        'iam.gke.io/gcp-service-account': 'app@p.iam.gserviceaccount.com',
      },
    });
    expect(await lookup('SecretStore', 'vault', 'shop', 'gone')).toMatchObject({
      store: { kind: 'SecretStore', namespace: 'shop' },
      serviceAccountAnnotations: {},
    });
  });

  it('refuses a namespace the store does not admit, a store of another namespace or controller', async () => {
    const api = seeded();
    api.seed(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    const lookup = apiStoreLookup(api, '');
    await expect(lookup('ClusterSecretStore', 'aws', 'other', 'app')).rejects.toThrow(
      'ClusterSecretStore "aws" does not allow namespace "other" (spec.conditions)',
    );
    await expect(lookup('SecretStore', 'vault', 'other', 'app')).rejects.toThrow(
      'SecretStore "vault" not found in namespace "other"',
    );
    await expect(apiStoreLookup(api, 'team-b')('SecretStore', 'vault', 'shop', 'app')).rejects.toThrow(
      /controller class/,
    );
  });

  it('turns an apiserver failure into a refusal with the reason', async () => {
    const api = seeded();
    api.failNext('get', new KubeApiError(403, 'Forbidden', 'clustersecretstores "aws" is forbidden'));
    const e = await apiStoreLookup(api, '')('ClusterSecretStore', 'aws', 'shop', 'app').catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(InjectionError);
    expect((e as Error).message).toBe(
      'cannot read ClusterSecretStore "aws": clustersecretstores "aws" is forbidden',
    );
    const noSA = seeded();
    noSA.failNext(
      'get',
      new KubeApiError(403, 'Forbidden', 'serviceaccounts "app" is forbidden'),
      'serviceaccounts',
    );
    await expect(apiStoreLookup(noSA, '')('SecretStore', 'vault', 'shop', 'app')).rejects.toThrow(
      'cannot read ServiceAccount "shop/app": serviceaccounts "app" is forbidden',
    );
  });
});

describe('copyExecutable', () => {
  it('copies Node and the program (dist, node_modules, package.json) and returns how to run it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'inject-root-'));
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'main.js'), '// main');
    writeFileSync(join(root, 'package.json'), '{}');
    const out = join(mkdtempSync(join(tmpdir(), 'inject-out-')), 'syncret');
    const prefix = await copyExecutable(out, root);
    expect(prefix).toEqual([join(out, 'node'), join(out, 'app', 'dist', 'main.js')]);
    expect(statSync(join(out, 'node')).mode & 0o777).toBe(0o555);
    expect(readFileSync(join(out, 'app', 'dist', 'main.js'), 'utf8')).toBe('// main');
    expect(existsSync(join(out, 'app', 'package.json'))).toBe(true);
    expect(existsSync(join(out, 'app', 'node_modules'))).toBe(false);
  });

  it('copies the single executable as one file when asked, and refuses when the image has none', async () => {
    const root = mkdtempSync(join(tmpdir(), 'inject-root-'));
    const out = join(mkdtempSync(join(tmpdir(), 'inject-out-')), 'syncret');
    await expect(copyExecutable(out, root, true)).rejects.toThrow(CopyError);
    expect(existsSync(out)).toBe(false);
    mkdirSync(join(root, 'dist', 'sea'), { recursive: true });
    writeFileSync(join(root, SEA_PATH), '#!sea');
    writeFileSync(join(root, 'package.json'), '{}');
    expect(await copyExecutable(out, root, true)).toEqual([join(out, 'syncret')]);
    expect(readdirSync(out)).toEqual(['syncret']);
    expect(statSync(join(out, 'syncret')).mode & 0o777).toBe(0o555);
  });
});
