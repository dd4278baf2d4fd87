// The AWS SDK's real clients against a local node:http server: answers the SDK cannot parse
// (moto's XML errors to JSON services) keep their error code, and a plain http:// endpoint is
// refused before anything is signed or sent unless the operator allows it.

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { ProviderError } from '../errors.js';
import { requireTls } from '../tls.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { awsError } from './errors.js';
import { awsProvider } from './index.js';
import type { AwsFactories } from './index.js';

// moto's answer to a request signed with an unknown key (moto/core/exceptions.py).
const INVALID_TOKEN_XML =
  '<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>' +
  '<Message>The security token included in the request is invalid.</Message><Type>Sender</Type></Error>' +
  '</Errors></ErrorResponse>';

let server: Server;
let url = '';
let requests = 0;
let answer: { status: number; headers: Record<string, string>; body: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  requests = 0;
  answer = {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: '{"SecretString":"v"}',
  };
});

const store: StoreInfo = {
  kind: 'SecretStore',
  name: 's',
  namespace: 'ns',
  requesterNamespace: 'ns',
  provider: {
    aws: {
      service: 'SecretsManager',
      region: 'us-east-1',
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'k', key: 'id' },
          secretAccessKeySecretRef: { name: 'k', key: 'secret' },
        },
      },
    },
  },
};

function ctx(allowHttp: boolean): ProviderContext {
  return {
    signal: new AbortController().signal,
    requireTls: (u, what) => requireTls(u, what, allowHttp),
    readSecretKey: async (sel) => new TextEncoder().encode(sel.key === 'id' ? 'AKIAUNKNOWN' : 'wrong'),
    readConfigMapKey: async () => '',
    requestServiceAccountToken: async () => 'jwt',
    readServiceAccountAnnotations: async () => ({}),
  };
}

// The SDK's own clients, pointed at the local server (as AWS_ENDPOINT_URL does).
const factories = (): AwsFactories => ({
  secretsManager: (c) => new SecretsManagerClient({ ...c, endpoint: url, maxAttempts: 1 }),
  ssm: (c) => new SSMClient({ ...c, endpoint: url, maxAttempts: 1 }),
  sts: (c) => new STSClient({ ...c, endpoint: url, maxAttempts: 1 }),
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('AWS over the SDK', () => {
  it('reports an XML InvalidClientTokenId as rejected credentials, not as denied access', async () => {
    answer = {
      status: 403,
      headers: { 'content-type': 'application/xml', 'x-amzn-errortype': 'InvalidClientTokenId' },
      body: INVALID_TOKEN_XML,
    };
    const client = await awsProvider(factories()).connect(store, ctx(true));
    const e = await failure(client.getSecret({ key: 'db' }));
    expect(e.reason).toBe('AuthFailed');
    expect(e.message).toBe(
      `AWS rejected the store's credentials for secret "db" (InvalidClientTokenId, HTTP 403)`,
    );
    await client.close();
  });

  it('reads the code from an unparsed XML body where the SDK keeps it', () => {
    const e = Object.assign(new SyntaxError('Unexpected token <'), {
      $metadata: { httpStatusCode: 403 },
      $responseBodyText: INVALID_TOKEN_XML,
    });
    expect(awsError(e, 'secret "db"').message).toBe(
      `AWS rejected the store's credentials for secret "db" (InvalidClientTokenId, HTTP 403)`,
    );
    // Without a code anywhere, only the status speaks.
    const bare = Object.assign(new SyntaxError('x'), { $metadata: { httpStatusCode: 403 } });
    expect(awsError(bare, 'secret "db"').reason).toBe('AccessDenied');
  });

  it('refuses a plain http:// endpoint before anything is sent, unless allowed', async () => {
    const strict = await awsProvider(factories()).connect(store, ctx(false));
    const e = await failure(strict.getSecret({ key: 'db' }));
    expect(e.reason).toBe('InvalidProviderConfig');
    expect(e.message).toContain(`the AWS endpoint ${url} is plain HTTP`);
    expect(requests).toBe(0);
    await strict.close();
    const allowed = await awsProvider(factories()).connect(store, ctx(true));
    expect(
      new TextDecoder().decode(((await allowed.getSecret({ key: 'db' })) as { data: Uint8Array }).data),
    ).toBe('v');
    expect(requests).toBe(1);
    await allowed.close();
  });
});
