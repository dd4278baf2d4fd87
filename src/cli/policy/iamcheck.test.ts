// `syncret policy --check` for IAM, offline: the request signature, IAM's wildcards, what is
// missing and what is broader, and the two reads of a managed policy against a loopback server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { compareIam, grantsOf, iamEnv, iamGlob, livePolicy, signIamPost } from './iamcheck.js';
import type { IamPolicy } from './aws.js';

const generated: IamPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Syncret1',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-??????'],
    },
    { Sid: 'Syncret2', Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: ['*'] },
  ],
};

describe('syncret policy --check for IAM', () => {
  it('signs as the AWS SDK signs (Signature Version 4)', () => {
    const e = {
      endpoint: 'https://iam.amazonaws.com',
      region: 'us-east-1',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    };
    const h = signIamPost(e, 'Action=ListUsers&Version=2010-05-08', new Date('2015-08-30T12:36:00Z'));
    // The same request signed by @smithy/signature-v4 (the SDK's signer) gives this signature.
    expect(h.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=21cccf6f70b4372af8e137af9b15333d9485d91e393b87fc2b9e034f8ef7a77d',
    );
    expect(h['x-amz-date']).toBe('20150830T123600Z');
    expect(iamEnv('aws', {})).toBe('needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(iamEnv('aws-cn', { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toMatchObject({
      endpoint: 'https://iam.cn-north-1.amazonaws.com.cn',
      region: 'cn-north-1',
    });
  });

  it("matches IAM's wildcards: * any run, ? one character, actions without case", () => {
    expect(iamGlob('secretsmanager:*', 'secretsmanager:GetSecretValue')).toBe(true);
    expect(iamGlob('SecretsManager:getsecretvalue', 'secretsmanager:GetSecretValue', true)).toBe(true);
    expect(
      iamGlob(
        'arn:aws:secretsmanager:*:*:secret:prod/*',
        'arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-??????',
      ),
    ).toBe(true);
    expect(iamGlob('arn:a:b:c:d:secret:db-??????', 'arn:a:b:c:d:secret:db-abc')).toBe(false);
    expect(iamGlob('a.b', 'axb')).toBe(false);
    expect(iamGlob('*', '')).toBe(true);
    expect(iamGlob('a*b*c', 'aXbYbZc')).toBe(true);
    expect(iamGlob('a*b*c', 'aXbYbZ')).toBe(false);
    // Many stars against a long miss: bounded steps, no regular expression backtracking.
    expect(iamGlob(`${'*a'.repeat(30)}b`, 'a'.repeat(5000))).toBe(false);
  });

  it('reports nothing for the generated document, the missing and the broader grants otherwise', () => {
    expect(compareIam(generated, generated)).toEqual({ missing: [], broader: [] });
    const wide = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:*', Resource: 'arn:aws:secretsmanager:*:*:secret:prod/*' },
        { Effect: 'Deny', Action: '*', Resource: '*' },
        { Sid: 'Odd', Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
      ],
    };
    expect(compareIam(generated, wide)).toEqual({
      missing: ['secretsmanager:ListSecrets on *'],
      broader: [
        'secretsmanager:* on arn:aws:secretsmanager:*:*:secret:prod/*',
        'statement Odd (NotAction or NotResource allows everything else)',
      ],
    });
    expect(
      grantsOf({ Statement: { Effect: 'Allow', Action: 'a:b', Resource: ['r1', 'r2'], Condition: {} } }),
    ).toEqual({
      grants: [
        { action: 'a:b', resource: 'r1' },
        { action: 'a:b', resource: 'r2' },
      ],
      unpaired: ['statement #1 has a Condition (compared without it)'],
    });
  });

  it('reads the default version of a managed policy, and none when IAM has none', async () => {
    const doc = encodeURIComponent(JSON.stringify(generated));
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        const p = new URLSearchParams(body);
        if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256 Credential=AKID/'))
          res.writeHead(403).end();
        else if (p.get('PolicyArn')?.endsWith('/absent'))
          res.writeHead(404).end('<ErrorResponse><Error><Code>NoSuchEntity</Code></Error></ErrorResponse>');
        else if (p.get('Action') === 'GetPolicy')
          res.end(
            '<GetPolicyResponse><GetPolicyResult><Policy><DefaultVersionId>v3</DefaultVersionId></Policy></GetPolicyResult></GetPolicyResponse>',
          );
        else
          res.end(
            `<GetPolicyVersionResponse><Document>${doc.replace(/&/g, '&amp;')}</Document></GetPolicyVersionResponse>`,
          );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const e = {
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: 'us-east-1',
        accessKeyId: 'AKID',
        secretAccessKey: 'secret',
      };
      expect(await livePolicy(e, 'arn:aws:iam::111122223333:policy/p')).toEqual(generated);
      expect(bodies[1]).toContain('Action=GetPolicyVersion');
      expect(bodies[1]).toContain('VersionId=v3');
      expect(await livePolicy(e, 'arn:aws:iam::111122223333:policy/absent')).toBeUndefined();
    } finally {
      server.close();
    }
  });
});
