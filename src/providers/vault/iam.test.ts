import { describe, expect, it } from '@jest/globals';
import { iamLoginBody, stsUrl } from './iam.js';
import { signV4 } from './sigv4.js';

const creds = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'SESSIONTOKEN',
};
const at = new Date(Date.UTC(2026, 11, 2, 0, 32, 0));

describe('SigV4', () => {
  it('signs as botocore does (value recorded from botocore.auth.SigV4Auth)', () => {
    expect(
      signV4({
        method: 'POST',
        url: new URL('https://sts.eu-west-1.amazonaws.com/'),
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
        region: 'eu-west-1',
        service: 'sts',
        ...creds,
        date: at,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
          'X-Vault-AWS-IAM-Server-ID': 'vault.example.com',
          'X-Amz-Date': '20261202T003200Z',
          'X-Amz-Security-Token': 'SESSIONTOKEN',
        },
      }),
    ).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/eu-west-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-vault-aws-iam-server-id, Signature=512b585b722282c7807005b295d47841d1eb3d0b0bb605352b9c1ab74f01ac8f',
    );
  });
});

describe("Vault's AWS iam login body", () => {
  it('carries the signed GetCallerIdentity request as Vault expects it, base64 fields', () => {
    const { body, signature } = iamLoginBody(
      { vaultRole: 'app', region: 'eu-west-1', vaultAwsIamServerID: 'vault.example.com' },
      creds,
      at,
    );
    const dec = (s: string) => Buffer.from(s, 'base64').toString('utf8');
    expect(body.role).toBe('app');
    expect(body.iam_http_request_method).toBe('POST');
    expect(dec(body.iam_request_url!)).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(dec(body.iam_request_body!)).toBe('Action=GetCallerIdentity&Version=2011-06-15');
    const headers = JSON.parse(dec(body.iam_request_headers!)) as Record<string, string[]>;
    expect(Object.keys(headers).sort()).toEqual([
      'Authorization',
      'Content-Type',
      'X-Amz-Date',
      'X-Amz-Security-Token',
      'X-Vault-Aws-Iam-Server-Id',
    ]);
    expect(headers.Authorization![0]).toContain(`Signature=${signature}`);
    expect(headers['X-Vault-Aws-Iam-Server-Id']).toEqual(['vault.example.com']);
  });
  it('signs for the global endpoint in us-east-1 (the default) and regional ones elsewhere', () => {
    expect(stsUrl('us-east-1').host).toBe('sts.amazonaws.com');
    expect(stsUrl('ap-south-1').host).toBe('sts.ap-south-1.amazonaws.com');
    const { body } = iamLoginBody({ vaultRole: 'r' }, { accessKeyId: 'a', secretAccessKey: 'b' }, at);
    const headers = JSON.parse(Buffer.from(body.iam_request_headers!, 'base64').toString()) as Record<
      string,
      string[]
    >;
    expect(headers.Authorization![0]).toContain('/us-east-1/sts/aws4_request');
    expect(headers['X-Amz-Security-Token']).toBeUndefined();
  });
});
