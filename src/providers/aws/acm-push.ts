// AWS Certificate Manager (`service: CertificateManager`), the writer: a kubernetes.io/tls Secret
// (tls.crt with its chain, tls.key) imported as an ACM certificate, as ESO 2.9 does it
// (providers/v1/aws/certificatemanager). ACM names nothing: the certificate a remote key stands
// for is the one tagged `external-secrets-remote-key: <prefix><remoteKey>` and `managed-by:
// external-secrets` (ESO's tags), found once by listing and then remembered. Re-imported (same
// ARN) only when the certificate or chain changed; metadata tags are synced (ESO's two tags are
// reserved). Reads (GetCertificate and ExportCertificate) are acm-export.ts's; index.ts attaches
// this writer to that client, so a store has one ACM client for both.

import { X509Certificate } from 'node:crypto';
import {
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RemoveTagsFromCertificateCommand,
} from '@aws-sdk/client-acm';
import { ProviderError } from '../errors.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  isOwned,
  isStringMap,
  notOwned,
  parsePushMetadata,
} from '../push.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest, SecretsWriter } from '../types.js';
import type { AcmApi } from './acm-export.js';
import { tagMap } from './common.js';
import type { AwsReader } from './common.js';

/** ESO's tag naming the remote key a certificate stands for. */
export const REMOTE_KEY_TAG = 'external-secrets-remote-key';
const RESERVED = new Set([MANAGED_BY_KEY, REMOTE_KEY_TAG]);
const ownTags = (remoteKey: string) => ({ [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [REMOTE_KEY_TAG]: remoteKey });
const LIST_PAGE = 100;

const decoder = new TextDecoder();

interface Bundle {
  leaf: string;
  chain: string;
  key: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** The certificates of a PEM text, each without its whitespace, for comparing. */
const certsOf = (pem: string | undefined) =>
  (pem ?? '').match(PEM_CERT)?.map((c) => c.replace(/\s+/g, '')) ?? [];

function x509(compact: string): X509Certificate | undefined {
  try {
    return new X509Certificate(
      Buffer.from(compact.replace(/-----(BEGIN|END)CERTIFICATE-----/g, ''), 'base64'),
    );
  } catch {
    return undefined;
  }
}

/**
 * Whether ACM's chain is the one we would import. Without a chain AWS answers the certificate
 * itself. A server that appends a certificate of its own (moto appends an Amazon CA) is compared
 * without it, but only when that certificate did not issue the last one we sent: a chain whose
 * own CA was dropped is a change.
 */
function sameChain(remote: string | undefined, leaf: string, ours: string): boolean {
  const have = certsOf(remote);
  const want = certsOf(ours);
  const own = certsOf(leaf)[0] ?? '';
  if (want.length === 0 && (have.length === 0 || (have.length === 1 && have[0] === own))) return true;
  if (!want.every((c, i) => have[i] === c)) return false;
  if (have.length === want.length) return true;
  if (have.length !== want.length + 1) return false;
  const last = x509(want[want.length - 1] ?? own);
  const extra = x509(have[have.length - 1]!);
  return !!last && !!extra && !last.checkIssued(extra);
}

function bundleOf(req: PushRequest): Bundle {
  if (req.value.kind !== 'map')
    throw new ProviderError(
      'InvalidRequest',
      'secretKey must be empty for the CertificateManager service: the whole kubernetes.io/tls Secret is pushed (tls.crt and tls.key)',
    );
  const crt = req.value.data['tls.crt'];
  const key = req.value.data['tls.key'];
  if (!crt?.length || !key?.length)
    throw new ProviderError(
      'InvalidRequest',
      'the Secret pushed to CertificateManager needs tls.crt and tls.key',
    );
  const certs = decoder.decode(crt).match(PEM_CERT) ?? [];
  if (certs.length === 0) throw new ProviderError('InvalidRequest', 'tls.crt holds no PEM certificate');
  return {
    leaf: `${certs[0]!}\n`,
    chain: certs.slice(1).join('\n') + (certs.length > 1 ? '\n' : ''),
    key: decoder.decode(key),
  };
}

/** PushSecret writes to ACM for a CertificateManagerReader (acm-export.ts). */
export class CertificateManagerWriter implements SecretsWriter {
  /** Remote key → certificate ARN, checked against the certificate's tags at each use. */
  private readonly arns = new Map<string, string>();

  constructor(private readonly c: AwsReader<AcmApi>) {}

  private send<T>(what: string, cmd: object): Promise<T> {
    const send = this.c.api.send.bind(this.c.api) as (c: object, o: object) => Promise<unknown>;
    return this.c.call(what, () => send(cmd, { abortSignal: this.c.signal }) as Promise<T>);
  }

  private async tags(arn: string): Promise<Record<string, string> | undefined> {
    try {
      const out = await this.send<{ Tags?: { Key?: string; Value?: string }[] }>(
        `certificate "${arn}"`,
        new ListTagsForCertificateCommand({ CertificateArn: arn }),
      );
      return tagMap(out.Tags);
    } catch (e) {
      if (e instanceof ProviderError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  /** The certificate tagged with `remoteKey`, and its tags; undefined when there is none. */
  private async find(remoteKey: string): Promise<{ arn: string; tags: Record<string, string> } | undefined> {
    const known = this.arns.get(remoteKey);
    if (known) {
      const tags = await this.tags(known);
      if (tags && tags[REMOTE_KEY_TAG] === remoteKey) return { arn: known, tags };
      this.arns.delete(remoteKey);
    }
    let token: string | undefined;
    const found: { arn: string; tags: Record<string, string> }[] = [];
    do {
      const page = await this.send<{
        CertificateSummaryList?: { CertificateArn?: string }[];
        NextToken?: string;
      }>('ListCertificates', new ListCertificatesCommand({ MaxItems: LIST_PAGE, NextToken: token }));
      for (const s of page.CertificateSummaryList ?? []) {
        if (!s.CertificateArn) continue;
        const tags = await this.tags(s.CertificateArn);
        if (tags?.[REMOTE_KEY_TAG] === remoteKey) found.push({ arn: s.CertificateArn, tags });
      }
      token = page.NextToken || undefined;
    } while (token);
    // ESO picks the lexically smallest ARN when several carry the tag.
    found.sort((a, b) => (a.arn < b.arn ? -1 : 1));
    const hit = found[0];
    if (hit) this.arns.set(remoteKey, hit.arn);
    return hit;
  }

  async push(req: PushRequest): Promise<PushOutcome> {
    const meta = parsePushMetadata<{ tags: Record<string, string> }>(
      'aws (CertificateManager)',
      req.metadata,
      {
        tags: isStringMap,
      },
    );
    const b = bundleOf(req);
    const remoteKey = this.c.prefix + req.ref.remoteKey;
    const what = `certificate "${remoteKey}"`;
    const existing = await this.find(remoteKey);
    const wanted = Object.fromEntries(Object.entries(meta?.tags ?? {}).filter(([k]) => !RESERVED.has(k)));
    if (!existing) {
      const out = await this.send<{ CertificateArn?: string }>(
        what,
        new ImportCertificateCommand({
          Certificate: new TextEncoder().encode(b.leaf),
          PrivateKey: new TextEncoder().encode(b.key),
          ...(b.chain ? { CertificateChain: new TextEncoder().encode(b.chain) } : {}),
          Tags: Object.entries({ ...wanted, ...ownTags(remoteKey) }).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      if (out.CertificateArn) this.arns.set(remoteKey, out.CertificateArn);
      return 'created';
    }
    if (!isOwned(existing.tags)) throw notOwned('ACM certificate', { remoteKey }, 'tag');
    const cur = await this.send<{ Certificate?: string; CertificateChain?: string }>(
      what,
      new GetCertificateCommand({ CertificateArn: existing.arn }),
    );
    let wrote = false;
    if (
      certsOf(cur.Certificate)[0] !== certsOf(b.leaf)[0] ||
      !sameChain(cur.CertificateChain, b.leaf, b.chain)
    ) {
      await this.send(
        what,
        new ImportCertificateCommand({
          CertificateArn: existing.arn,
          Certificate: new TextEncoder().encode(b.leaf),
          PrivateKey: new TextEncoder().encode(b.key),
          ...(b.chain ? { CertificateChain: new TextEncoder().encode(b.chain) } : {}),
        }),
      );
      wrote = true;
    }
    // AWS keeps a certificate's tags over a re-import; a server that drops them (moto does) gets
    // them back here, so the certificate stays findable and marked as ours.
    const have = wrote ? ((await this.tags(existing.arn)) ?? {}) : existing.tags;
    const tagged = await this.syncTags(existing.arn, have, { ...wanted, ...ownTags(remoteKey) }, what);
    return tagged || wrote ? 'updated' : 'unchanged';
  }

  /** Makes the tags `want` (ESO's two included); other tags than ESO's two that are not wanted go. */
  private async syncTags(
    arn: string,
    have: Record<string, string>,
    want: Record<string, string>,
    what: string,
  ): Promise<boolean> {
    const remove = Object.entries(have).filter(([k]) => !RESERVED.has(k) && !Object.hasOwn(want, k));
    const add = Object.entries(want).filter(([k, v]) => have[k] !== v);
    if (remove.length > 0)
      await this.send(
        what,
        new RemoveTagsFromCertificateCommand({
          CertificateArn: arn,
          Tags: remove.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    if (add.length > 0)
      await this.send(
        what,
        new AddTagsToCertificateCommand({
          CertificateArn: arn,
          Tags: add.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    return remove.length > 0 || add.length > 0;
  }

  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const remoteKey = this.c.prefix + ref.remoteKey;
    const existing = await this.find(remoteKey);
    if (!existing) return 'absent';
    if (!isOwned(existing.tags)) return 'not-owned';
    await this.send(
      `certificate "${remoteKey}"`,
      new DeleteCertificateCommand({ CertificateArn: existing.arn }),
    );
    this.arns.delete(remoteKey);
    return 'deleted';
  }

  async exists(ref: PushRef): Promise<boolean> {
    return (await this.find(this.c.prefix + ref.remoteKey)) !== undefined;
  }
}
