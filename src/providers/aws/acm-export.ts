// ACM read and export (AWS Certificate Manager, service: CertificateManager, ESO 2.9; pushing,
// with ImportCertificate, is the writer in acm-push.ts, attached to this same client). remoteRef.key is a certificate ARN; the
// value is the certificate, its chain and its private key as one PEM text, as ESO returns it.
// The key comes from ExportCertificate, which only exportable certificates allow (Options.Export
// ENABLED) and which encrypts it with a passphrase Syncret draws per call; it is decrypted here
// into an unencrypted PKCS#8 PEM.
//
// ExportCertificate is billed for public certificates, so, as ESO does, an export is reused
// while GetCertificate shows the same certificate and chain: a refresh costs one
// GetCertificate until the certificate is renewed or re-imported. Exports are kept per store
// (and credential scope), at most 128 for 24 hours, so no store reads another's export.
// dataFrom.extract and dataFrom.find are not supported (ESO has neither); metadataPolicy is
// ignored, as in ESO.

import { createHash, createPrivateKey, randomInt } from 'node:crypto';
import {
  ACMClient,
  DescribeCertificateCommand,
  ExportCertificateCommand,
  GetCertificateCommand,
} from '@aws-sdk/client-acm';
import type { ACMClientConfig } from '@aws-sdk/client-acm';
import { ProviderError } from '../errors.js';
import type { RemoteKeyRef, RemoteValue, SecretsClient } from '../types.js';
import { AwsReader } from './common.js';

export type AcmApi = Pick<ACMClient, 'send' | 'destroy'>;

export const acmClient = (config: ACMClientConfig): AcmApi => new ACMClient(config);

const PASSPHRASE_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PASSPHRASE_LENGTH = 32;
const EXPORT_TTL_MS = 24 * 3600 * 1000;
const EXPORT_CACHE_SIZE = 128;

interface CachedExport {
  fingerprint: string;
  pem: Uint8Array;
  at: number;
}

/** Recent exports by (store scope, ARN); Map order is insertion order, oldest first. */
const exports = new Map<string, CachedExport>();

function remember(key: string, entry: CachedExport): void {
  exports.delete(key);
  exports.set(key, entry);
  while (exports.size > EXPORT_CACHE_SIZE) exports.delete(exports.keys().next().value!);
}

const trimEnd = (s: string) => s.replace(/[\r\n]+$/, '');

/** ESO's fingerprint of a certificate and its chain (line ends at the end ignored). */
function fingerprint(cert: string | undefined, chain: string | undefined): string {
  const h = createHash('sha256').update(trimEnd(cert ?? ''));
  const c = trimEnd(chain ?? '');
  if (c) h.update(c);
  return h.digest('hex');
}

function passphrase(): Buffer {
  let s = '';
  for (let i = 0; i < PASSPHRASE_LENGTH; i++) s += PASSPHRASE_CHARS[randomInt(PASSPHRASE_CHARS.length)];
  return Buffer.from(s, 'ascii');
}

/** The exported key as an unencrypted PKCS#8 PEM; an unencrypted one is returned as is. */
function decryptKey(pem: string, pass: Buffer, what: string): string {
  if (/^-----BEGIN PRIVATE KEY-----/m.test(pem)) return pem;
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase: pass })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
  } catch {
    // OpenSSL's message says nothing about the key, but it is not needed either.
    throw new ProviderError('Unavailable', `${what}: the exported private key could not be decrypted`);
  }
}

export class CertificateManagerReader extends AwsReader<AcmApi> implements SecretsClient {
  constructor(
    api: AcmApi,
    /** spec.provider.aws.prefix: the writer's remote keys carry it; a read names an ARN, as in ESO. */
    prefix: string,
    /** Store identity and credential scope: exports are reused only within it. */
    private readonly scope: string,
    signal: AbortSignal,
    onAuthRejected: () => void,
    checkCredentials: () => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {
    super(api, prefix, signal, onAuthRejected, checkCredentials);
  }

  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    const arn = ref.key;
    if (!arn) throw new ProviderError('InvalidRequest', 'remoteRef.key must be a certificate ARN');
    const what = `certificate "${arn}"`;
    const opts = { abortSignal: this.signal };
    const got = await this.call(what, () =>
      this.api.send(new GetCertificateCommand({ CertificateArn: arn }), opts),
    );
    const print = fingerprint(got.Certificate, got.CertificateChain);
    const key = `${this.scope}\u0000${arn}`;
    const cached = exports.get(key);
    if (cached && cached.fingerprint === print && this.now() - cached.at < EXPORT_TTL_MS)
      return { kind: 'bytes', data: cached.pem };

    const described = await this.call(what, () =>
      this.api.send(new DescribeCertificateCommand({ CertificateArn: arn }), opts),
    );
    if (described.Certificate?.Options?.Export !== 'ENABLED')
      throw new ProviderError('InvalidRequest', `${what} is not exportable (Options.Export is not ENABLED)`);
    const pass = passphrase();
    const out = await this.call(what, () =>
      this.api.send(new ExportCertificateCommand({ CertificateArn: arn, Passphrase: pass }), opts),
    );
    const parts: string[] = [];
    if (out.Certificate !== undefined) parts.push(trimEnd(out.Certificate));
    if (out.CertificateChain !== undefined) parts.push(trimEnd(out.CertificateChain));
    if (out.PrivateKey !== undefined) parts.push(trimEnd(decryptKey(out.PrivateKey, pass, what)));
    if (parts.length === 0) throw new ProviderError('NotFound', `${what}: the export returned nothing`);
    const pem = new TextEncoder().encode(`${parts.join('\n')}\n`);
    remember(key, { fingerprint: print, pem, at: this.now() });
    return { kind: 'bytes', data: pem };
  }
}
