import { describe, expect, it } from '@jest/globals';
import { UsageError, parseAgentArgs } from './agent.js';
import { parseFetchArgs } from './fetch.js';
import type { InjectorArgs } from './injector.js';

describe('syncret agent arguments', () => {
  it('passes everything after -- to the application unchanged', () => {
    const a = parseAgentArgs(['exec', '--config=/c.yaml', '--', '/server', '--config', 'x', '--']);
    expect(a).toMatchObject({
      mode: 'exec',
      configFile: '/c.yaml',
      command: ['/server', '--config', 'x', '--'],
    });
  });

  it('refuses what it does not know, with the argument named', () => {
    expect(() => parseAgentArgs(['init', '--nope'])).toThrow('unknown argument "--nope"');
    expect(() => parseAgentArgs(['init', '--config'])).toThrow('--config needs a value');
    expect(() => parseAgentArgs(['exec', '--config', 'c'])).toThrow(/needs the application/);
    expect(() => parseAgentArgs(['init', '--', 'x'])).toThrow(/takes no command/);
    expect(() => parseAgentArgs(['run'])).toThrow(UsageError);
    expect(parseAgentArgs(['--help'])).toBe('help');
  });
});

describe('syncret fetch arguments', () => {
  it('reads the flags, in both forms', () => {
    expect(
      parseFetchArgs(['--secrets', 'a b', '--role=ci', '--format', 'github-env', '--out=/o', '--mask']),
    ).toMatchObject({
      secrets: 'a b',
      role: 'ci',
      format: 'github-env',
      out: '/o',
      mask: true,
      method: 'jwt',
    });
    expect(parseFetchArgs(['--secrets-file', 's', '--method', 'token'])).toMatchObject({ method: 'token' });
  });

  it('refuses an incomplete or unknown command line', () => {
    expect(() => parseFetchArgs(['--role', 'ci'])).toThrow(/--secrets or --secrets-file/);
    expect(() => parseFetchArgs(['--secrets', 'a b'])).toThrow('--method jwt needs --role');
    expect(() => parseFetchArgs(['--secrets', 'a b', '--role', 'r', '--format', 'xml'])).toThrow(
      /--format must be/,
    );
    expect(() => parseFetchArgs(['--secrets', 'a b', '--method', 'ldap'])).toThrow(/jwt or token/);
    expect(() => parseFetchArgs(['--secrets'])).toThrow('--secrets needs a value');
    expect(parseFetchArgs(['-h'])).toBe('help');
  });

  it('reads AWS and store flags, and refuses Vault flags with them', () => {
    expect(
      parseFetchArgs([
        '--secrets',
        'app *',
        '--aws-role-arn',
        'arn:aws:iam::123456789012:role/ci',
        '--aws-service',
        'ParameterStore',
        '--annotation',
        'a/b=c=d',
      ]),
    ).toMatchObject({ awsService: 'ParameterStore', annotations: { 'a/b': 'c=d' } });
    expect(() => parseFetchArgs(['--secrets', 'a b', '--store', 's.yaml', '--role', 'ci'])).toThrow(
      /are for Vault/,
    );
    expect(() => parseFetchArgs(['--secrets', 'a b', '--store', 's.yaml', '--aws-role-arn', 'arn'])).toThrow(
      /not both/,
    );
    expect(() => parseFetchArgs(['--secrets', 'a b', '--aws-role-arn', 'x', '--aws-service', 'S3'])).toThrow(
      /SecretsManager or ParameterStore/,
    );
    expect(() => parseFetchArgs(['--secrets', 'a b', '--store', 's', '--annotation', 'x'])).toThrow(
      /KEY=VALUE/,
    );
  });
});

describe('syncret injector arguments', () => {
  it('takes the chart flags, the last one winning, and repeats --tls-san', async () => {
    const { parseInjectorArgs } = await import('./injector.js');
    const a = parseInjectorArgs([
      '--listen=:8443',
      '--listen=127.0.0.1:9443',
      '--tls-san',
      '127.0.0.1',
      '--tls-san=localhost',
      '--cert-validity=24s',
      '--ca-validity',
      '1m',
      '--allow-insecure-credentials',
    ]);
    expect(a).toMatchObject({
      listen: '127.0.0.1:9443',
      sans: ['127.0.0.1', 'localhost'],
      certValidityMs: 24_000,
      caValidityMs: 60_000,
      allowInsecure: true,
    });
  });

  it('refuses bad values with the flag named', async () => {
    const { parseInjectorArgs } = await import('./injector.js');
    expect(() => parseInjectorArgs(['--nope'])).toThrow('unknown argument "--nope"');
    expect(() => parseInjectorArgs(['--listen', 'x'])).toThrow(/--listen: invalid address/);
    expect(() => parseInjectorArgs(['--cert-validity', '10ms'])).toThrow(/at least 1s/);
    expect(() => parseInjectorArgs(['--cert-validity', '2h', '--ca-validity', '1h'])).toThrow(
      /must not exceed/,
    );
    expect(() => parseInjectorArgs(['--run-as-user', 'root'])).toThrow(/not a uid/);
  });

  it('--single-executable makes the copy and the app container agree on one file', async () => {
    const { injectorConfig, parseInjectorArgs } = await import('./injector.js');
    const node = injectorConfig(parseInjectorArgs([]) as InjectorArgs, 'ns');
    expect(node.execPrefix).toEqual(['/syncret/node', '/syncret/app/dist/main.js']);
    expect(node.copyCommand.slice(-2)).toEqual(['copy', '/syncret']);
    const sea = injectorConfig(parseInjectorArgs(['--single-executable']) as InjectorArgs, 'ns');
    expect(sea.execPrefix).toEqual(['/syncret/syncret']);
    expect(sea.copyCommand.slice(-3)).toEqual(['copy', '--single-executable', '/syncret']);
  });
});
