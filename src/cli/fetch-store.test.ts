import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsWebIdentityStore, readStoreFile } from './fetch-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fetch-store-'));
const file = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('the stores of syncret fetch', () => {
  it('reads a SecretStore manifest, a ClusterSecretStore and a bare provider block', () => {
    expect(
      readStoreFile(
        file(
          'ss.yaml',
          'kind: SecretStore\nmetadata: { name: a, namespace: ci }\nspec: { provider: { fake: { data: [] } } }',
        ),
      ),
    ).toEqual({ kind: 'SecretStore', name: 'a', namespace: 'ci', provider: { fake: { data: [] } } });
    expect(
      readStoreFile(file('css.yaml', 'kind: ClusterSecretStore\nspec: { provider: { fake: {} } }')),
    ).toMatchObject({ kind: 'ClusterSecretStore', name: 'fetch' });
    expect(readStoreFile(file('bare.yaml', 'aws: { service: SecretsManager, region: eu-west-1 }'))).toEqual({
      provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
    });
  });

  it('refuses other kinds and bad YAML without echoing the text', () => {
    expect(() => readStoreFile(file('es.yaml', 'kind: ExternalSecret\nspec: {}'))).toThrow(
      /kind must be SecretStore or ClusterSecretStore/,
    );
    expect(() => readStoreFile(file('nop.yaml', 'kind: SecretStore\nspec: {}'))).toThrow(
      /spec.provider is missing/,
    );
    const bad = readStoreFile.bind(null, file('bad.yaml', 'token: "s3cr3t\n  : ['));
    expect(bad).toThrow(/is not valid YAML$/);
    expect(() => readStoreFile(join(dir, 'absent.yaml'))).toThrow(/cannot read .*absent.yaml: ENOENT/);
  });

  it('builds the IRSA store of --aws-role-arn with the role as the annotation', () => {
    expect(
      awsWebIdentityStore({
        roleArn: 'arn:aws:iam::123456789012:role/ci',
        region: 'eu-west-1',
        service: 'ParameterStore',
      }),
    ).toEqual({
      store: {
        name: 'fetch',
        provider: {
          aws: {
            service: 'ParameterStore',
            region: 'eu-west-1',
            auth: { jwt: { serviceAccountRef: { name: 'ci-job' } } },
          },
        },
      },
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/ci' },
    });
  });
});
