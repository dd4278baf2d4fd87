import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeconfigError, loadKubeconfigFiles, parseKubeconfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function doc(user: object, cluster: object = { server: 'https://k:6443' }, extra: object = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
    ...extra,
  };
}

function write(name: string, content: object | string): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('kubeconfig', () => {
  it('reads inline data, token and TLS options', () => {
    const cfg = parseKubeconfig(
      JSON.stringify(
        doc(
          { token: 't0', 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
          { server: 'https://k:6443', 'certificate-authority-data': b64('CA'), 'tls-server-name': 'api' },
        ),
      ),
    );
    expect(cfg).toEqual({
      server: 'https://k:6443',
      insecureSkipTlsVerify: false,
      tlsServerName: 'api',
      caData: 'CA',
      certData: 'CERT',
      keyData: 'KEY',
      token: 't0',
    });
  });

  it('resolves file paths relative to the kubeconfig and re-reads token files', async () => {
    write('ca.crt', 'CAFILE');
    const tok = write('token', 'first\n');
    const p = write(
      'config',
      doc({ tokenFile: 'token' }, { server: 'https://k', 'certificate-authority': 'ca.crt' }),
    );
    const cfg = loadKubeconfigFiles([p]);
    expect(cfg.caData).toBe('CAFILE');
    const token = cfg.token as () => Promise<string>;
    expect(await token()).toBe('first');
    writeFileSync(tok, 'second');
    expect(await token()).toBe('second');
  });

  it('merges a path list: the first file defining a name or current-context wins', () => {
    const a = write('a', {
      'current-context': 'x',
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    });
    const b = write('b', doc({ token: 'from-b' }, { server: 'https://b' }, { 'current-context': 'other' }));
    expect(loadKubeconfigFiles([a, b])).toMatchObject({ server: 'https://b', token: 'from-b' });
  });

  it('runs exec plugins and caches the token until near its expiry', async () => {
    const count = join(dir, 'count');
    writeFileSync(count, '');
    const plugin = write(
      'plugin.sh',
      `#!/bin/sh\necho x >> ${count}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-'"$FOO"'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const p = write(
      'exec',
      doc({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: './plugin.sh',
          env: [{ name: 'FOO', value: 'bar' }],
        },
      }),
    );
    const token = loadKubeconfigFiles([p]).token as () => Promise<string>;
    expect(await token()).toBe('exec-bar');
    expect(await token()).toBe('exec-bar');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('names a failing exec plugin without its output', async () => {
    const plugin = write('bad.sh', '#!/bin/sh\necho "s3cr3t" >&2\nexit 3\n');
    chmodSync(plugin, 0o755);
    const token = loadKubeconfigFiles([write('bad', doc({ exec: { command: plugin } }))])
      .token as () => Promise<string>;
    const err = await token().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(KubeconfigError);
    expect(err!.message).toContain('bad.sh');
    expect(err!.message).not.toContain('s3cr3t');
  });

  it('refuses what it does not support, with a reason and without values', () => {
    const cases: [object, RegExp][] = [
      [doc({ username: 'a', password: 'hunter2' }), /basic authentication/],
      [doc({ 'auth-provider': { name: 'oidc' } }), /auth-provider "oidc".*exec/],
      [doc({ token: 't' }, { server: 'https://k', 'proxy-url': 'http://p' }), /proxy-url/],
      [doc({ token: 't' }, {}), /no cluster with a server/],
      [{ ...doc({ token: 't' }), 'current-context': 'nope' }, /no context "nope"/],
    ];
    for (const [d, re] of cases) {
      expect(() => parseKubeconfig(JSON.stringify(d))).toThrow(re);
      try {
        parseKubeconfig(JSON.stringify(d));
      } catch (e) {
        expect((e as Error).message).not.toContain('hunter2');
      }
    }
    expect(() => parseKubeconfig('a: [')).toThrow(/not valid YAML/);
  });

  it('does not let a kubeconfig from a Secret read files or run commands', () => {
    expect(() => parseKubeconfig(JSON.stringify(doc({ exec: { command: 'id' } })))).toThrow(/not allowed/);
    expect(() => parseKubeconfig(JSON.stringify(doc({ tokenFile: '/etc/shadow' })))).toThrow(/not allowed/);
    expect(() =>
      parseKubeconfig(
        JSON.stringify(doc({ token: 't' }, { server: 'https://k', 'certificate-authority': '/etc/x' })),
      ),
    ).toThrow(/not allowed/);
  });
});
