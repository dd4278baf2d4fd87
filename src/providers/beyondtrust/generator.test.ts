import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockAgent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import type { GeneratorEnv } from '../generator.js';
import { beyondtrustGenerator, validateBeyondtrust } from './generator.js';

const SITE = 'a1b2c3d4-e5f6-4890-abcd-ef1234567890';
const spec = {
  provider: {
    auth: { apikey: { token: { name: 'bt', key: 'key' } } },
    server: { apiUrl: 'https://bt.test/siie/', siteId: SITE },
    folderPath: 'prod/aws/db',
  },
};
const obj = (s: object) => ({ metadata: { name: 'g', namespace: 'ns' }, spec: s });
const dec = (d: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(d).map(([k, v]) => [k, new TextDecoder().decode(v)]));

const env: GeneratorEnv = {
  namespace: 'ns',
  now: 0,
  ctx: {
    signal: new AbortController().signal,
    requireTls: () => undefined,
    readSecretKey: async () => new TextEncoder().encode('api-key\n'),
    readConfigMapKey: async () => '',
    requestServiceAccountToken: async () => '',
    readServiceAccountAnnotations: async () => ({}),
  },
  readSecret: async () => ({ data: {}, labels: {} }),
  renderTemplate: () => '',
};

let previous: Dispatcher;
const agent = new MockAgent();
beforeAll(() => {
  previous = getGlobalDispatcher();
  agent.disableNetConnect();
  setGlobalDispatcher(agent);
});
afterAll(() => setGlobalDispatcher(previous));

describe('BeyondtrustWorkloadCredentialsDynamicSecret', () => {
  it('posts to the dynamic secret of the folder with ESO’s headers and maps the secret', async () => {
    let headers: Record<string, string> = {};
    agent
      .get('https://bt.test')
      .intercept({ path: `/siie/${SITE}/secrets/dynamic/db/generate?folder=prod%2Faws`, method: 'POST' })
      .reply(201, (opts) => {
        headers = opts.headers as Record<string, string>;
        return {
          secret: {
            accessKeyId: 'AKIA',
            secretAccessKey: 's',
            sessionToken: 't',
            leaseId: 'l',
            expiration: 'e',
          },
        };
      });
    const out = await beyondtrustGenerator().generate(env, obj(spec));
    expect(dec(out.data)).toEqual({
      accessKeyId: 'AKIA',
      secretAccessKey: 's',
      sessionToken: 't',
      leaseId: 'l',
      expiration: 'e',
    });
    expect(headers.authorization).toBe('Bearer api-key');
    expect(headers['bt-secrets-api-version']).toBe('2026-04-28');
  });

  it('checks apiUrl, siteId and folderPath as ESO does', () => {
    expect(validateBeyondtrust(spec)).toBeUndefined();
    expect(
      validateBeyondtrust({ provider: { ...spec.provider, server: { apiUrl: 'http://bt', siteId: SITE } } }),
    ).toMatch(/https/);
    expect(
      validateBeyondtrust({ provider: { ...spec.provider, server: { apiUrl: 'https://bt', siteId: 'x' } } }),
    ).toMatch(/UUID/);
    expect(validateBeyondtrust({ provider: { ...spec.provider, folderPath: 'a/' } })).toMatch(
      /names no secret/,
    );
  });
});
