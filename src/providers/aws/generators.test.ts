// STSSessionToken with a fake STS (credentials as a store's, requestParameters passed on,
// ESO's outputs); static checks of both AWS generators. ECR is proven against moto (e2e).

import { describe, expect, it } from '@jest/globals';
import type { GeneratorEnv } from '../generator.js';
import type { ProviderContext } from '../types.js';
import { CredentialCache } from './auth.js';
import type { AuthDeps } from './auth.js';
import { awsGenerators, validateAwsGenerator } from './generators.js';

const dec = (d: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(d).map(([k, v]) => [k, new TextDecoder().decode(v)]));

function fakeSts() {
  const calls: { op: string; input: Record<string, unknown>; key?: string }[] = [];
  const deps: AuthDeps = {
    cache: new CredentialCache(),
    sts: (config) =>
      ({
        async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
          const c = config.credentials as (() => Promise<{ accessKeyId: string }>) | undefined;
          calls.push({
            op: cmd.constructor.name.replace(/Command$/, ''),
            input: cmd.input,
            key: c ? (await c()).accessKeyId : undefined,
          });
          return {
            Credentials: {
              AccessKeyId: 'ASIAGENERATED',
              SecretAccessKey: 'secret',
              SessionToken: 'session',
              Expiration: new Date(Date.UTC(2030, 0, 1)),
            },
          };
        },
        destroy() {},
      }) as unknown as ReturnType<AuthDeps['sts']>,
  };
  return { deps, calls };
}

function env(): GeneratorEnv {
  const ctx: ProviderContext = {
    signal: new AbortController().signal,
    requireTls: () => undefined,
    readSecretKey: async (sel) => new TextEncoder().encode(sel.key === 'id' ? 'AKIASTATIC' : 'static-secret'),
    readConfigMapKey: async () => '',
    requestServiceAccountToken: async () => 'a.b.c',
    readServiceAccountAnnotations: async () => ({}),
  };
  return {
    namespace: 'ns',
    ctx,
    now: 0,
    readSecret: async () => ({ data: {}, labels: {} }),
    renderTemplate: () => '',
  };
}

const keys = {
  secretRef: {
    accessKeyIDSecretRef: { name: 'k', key: 'id' },
    secretAccessKeySecretRef: { name: 'k', key: 'secret' },
  },
};
const obj = (spec: object) => ({ metadata: { name: 'g', namespace: 'ns' }, spec });

describe('STSSessionToken', () => {
  it('calls GetSessionToken with the static keys and the request parameters', async () => {
    const { deps, calls } = fakeSts();
    const sts = awsGenerators(deps).find((g) => g.kind === 'STSSessionToken')!;
    const spec = {
      region: 'eu-west-1',
      auth: keys,
      requestParameters: { sessionDuration: 900, serialNumber: 'mfa', tokenCode: '123456' },
    };
    const out = await sts.generate(env(), obj(spec));
    expect(dec(out.data)).toEqual({
      access_key_id: 'ASIAGENERATED',
      secret_access_key: 'secret',
      session_token: 'session',
      expiration: String(Date.UTC(2030, 0, 1) / 1000),
    });
    expect(calls).toEqual([
      {
        op: 'GetSessionToken',
        input: { DurationSeconds: 900, SerialNumber: 'mfa', TokenCode: '123456' },
        key: 'AKIASTATIC',
      },
    ]);
  });

  it('assumes spec.role first, and refuses jwt auth as ESO does', async () => {
    const { deps, calls } = fakeSts();
    const sts = awsGenerators(deps).find((g) => g.kind === 'STSSessionToken')!;
    await sts.generate(
      env(),
      obj({ region: 'eu-west-1', auth: keys, role: 'arn:aws:iam::123456789012:role/r' }),
    );
    expect(calls.map((c) => c.op)).toEqual(['AssumeRole', 'GetSessionToken']);
    expect(calls[1]?.key).toBe('ASIAGENERATED');
    await expect(
      sts.generate(env(), obj({ region: 'eu-west-1', auth: { jwt: { serviceAccountRef: { name: 'sa' } } } })),
    ).rejects.toThrow(/jwt cannot be used/);
  });
});

describe('static checks', () => {
  it('names what is wrong', () => {
    expect(validateAwsGenerator({})).toMatch(/region must be set/);
    expect(validateAwsGenerator({ region: 'Europe' })).toMatch(/not an AWS region/);
    expect(validateAwsGenerator({ region: 'us-east-1', role: 'admin' })).toMatch(/not an IAM role ARN/);
    expect(validateAwsGenerator({ region: 'us-east-1', auth: { secretRef: {} } })).toMatch(
      /needs accessKeyIDSecretRef/,
    );
    expect(validateAwsGenerator({ region: 'us-east-1', auth: keys })).toBeUndefined();
    const ecr = awsGenerators(fakeSts().deps).find((g) => g.kind === 'ECRAuthorizationToken')!;
    expect(ecr.validate(obj({ region: 'us-east-1', scope: 'anything' }))).toBeUndefined();
  });
});
