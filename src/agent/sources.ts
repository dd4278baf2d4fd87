// Where the agent's templates read from. Two kinds of source, one shape of answer:
// - Vault/OpenBao through the Vault provider's client (`apiRequest`: any API path, with the
//   provider's logins, token renewal and error mapping), for consul-template's `secret`,
//   `secrets` and `pkiCert`;
// - any SecretStore's provider (`getSecret`), for the same `secret "key"` on AWS, Azure, GCP
//   and the rest, where a key has no lease.
// The answer is consul-template's Secret (RequestID, LeaseID, LeaseDuration, Renewable, Data,
// Warnings), which is what Vault Agent templates read (`.Data.data.password`).

import { ProviderError } from '../providers/errors.js';
import type { SecretsClient } from '../providers/types.js';
import { VaultClient } from '../providers/vault/client.js';
import type { VaultResponse } from '../providers/vault/http.js';

/** consul-template's dependency.Secret, as templates see it. */
export interface TemplateSecret {
  RequestID: string;
  LeaseID: string;
  LeaseDuration: number;
  Renewable: boolean;
  Data: Record<string, unknown>;
  Warnings: string[];
  Auth?: Record<string, unknown>;
}

/** What a dependency holds until it is renewed or fetched again. */
export interface Fetched {
  secret: TemplateSecret;
  /** A Vault lease to renew and, at the end, revoke. */
  lease?: { id: string; durationS: number; renewable: boolean };
  /** When the value stops being valid (ms since epoch): a lease's end, a certificate's notAfter. */
  expiresAt?: number;
}

/** One call a template makes: `secret PATH [k=v ...]`, `secrets PATH` (list) or `pkiCert PATH [k=v ...]`. */
export interface DependencyRef {
  fn: 'secret' | 'secrets' | 'pkiCert';
  path: string;
  /** `k=v` arguments: a write (PUT) with these fields instead of a read. */
  args: readonly string[];
}

export interface Source {
  /** For messages: where the values come from. */
  readonly describe: string;
  fetch(ref: DependencyRef, now: number): Promise<Fetched>;
  /** Extends a lease; returns the new duration in seconds. */
  renew?(leaseID: string, incrementS: number): Promise<{ durationS: number; renewable: boolean }>;
  revoke?(leaseID: string): Promise<void>;
  close(): Promise<void>;
}

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');

/** `k=v` arguments as a request body; a bare word is refused (consul-template's rule). */
export function argsBody(ref: DependencyRef): Record<string, string> {
  const body: Record<string, string> = {};
  for (const a of ref.args) {
    const eq = a.indexOf('=');
    if (eq <= 0)
      throw new ProviderError(
        'InvalidRequest',
        `${ref.fn} "${ref.path}": argument ${JSON.stringify(a.slice(0, 40))} is not key=value`,
      );
    body[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return body;
}

function toTemplateSecret(r: VaultResponse & { request_id?: string }): TemplateSecret {
  const out: TemplateSecret = {
    RequestID: r.request_id ?? '',
    LeaseID: r.lease_id ?? '',
    LeaseDuration: r.lease_duration ?? 0,
    Renewable: !!r.renewable,
    Data: { ...(r.data ?? {}) },
    Warnings: [...(r.warnings ?? [])],
  };
  if (r.auth) out.Auth = { ...r.auth };
  return out;
}

/** PKI answers carry no lease but an expiration (seconds since epoch). */
function expirationOf(data: Record<string, unknown>): number | undefined {
  const e = data.expiration;
  return typeof e === 'number' && e > 0 ? e * 1000 : undefined;
}

/**
 * consul-template's pkiCert: the certificate, key and CA of an issue, by their PEM names
 * (`.Cert`, `.Key`, `.CA`, `.CAChain`), also under `.Data` as some templates write it, with
 * Vault's own field names beside them.
 */
function pkiShape(s: TemplateSecret): TemplateSecret & Record<string, unknown> {
  const d = s.Data;
  const chain = Array.isArray(d.ca_chain) ? d.ca_chain.filter((x) => typeof x === 'string') : [];
  const pem = {
    Cert: typeof d.certificate === 'string' ? d.certificate : '',
    Key: typeof d.private_key === 'string' ? d.private_key : '',
    CA: typeof d.issuing_ca === 'string' ? d.issuing_ca : '',
    CAChain: chain,
  };
  return { ...s, ...pem, Data: { ...d, ...pem } };
}

export class VaultSource implements Source {
  constructor(
    private readonly client: VaultClient,
    readonly describe: string,
  ) {}

  static of(client: SecretsClient, describe: string): VaultSource {
    if (!(client instanceof VaultClient))
      throw new ProviderError(
        'InvalidProviderConfig',
        'the agent needs a Vault client for secret and pkiCert',
      );
    return new VaultSource(client, describe);
  }

  async fetch(ref: DependencyRef, now: number): Promise<Fetched> {
    const path = trimSlashes(ref.path);
    if (!path) throw new ProviderError('InvalidRequest', `${ref.fn}: the path is empty`);
    let r: VaultResponse;
    if (ref.fn === 'secrets') {
      r = await this.client.apiRequest('GET', path, { query: { list: 'true' } });
    } else if (ref.args.length > 0 || ref.fn === 'pkiCert') {
      r = await this.client.apiRequest('PUT', path, { body: argsBody(ref) });
    } else {
      r = await this.client.apiRequest('GET', path);
    }
    const secret = toTemplateSecret(r);
    const fetched: Fetched = { secret: ref.fn === 'pkiCert' ? pkiShape(secret) : secret };
    if (r.lease_id && (r.lease_duration ?? 0) > 0) {
      fetched.lease = { id: r.lease_id, durationS: r.lease_duration ?? 0, renewable: !!r.renewable };
      fetched.expiresAt = now + (r.lease_duration ?? 0) * 1000;
    } else {
      fetched.expiresAt = expirationOf(secret.Data);
    }
    return fetched;
  }

  async renew(leaseID: string, incrementS: number): Promise<{ durationS: number; renewable: boolean }> {
    const r = await this.client.apiRequest('PUT', 'sys/leases/renew', {
      body: { lease_id: leaseID, increment: incrementS },
    });
    return { durationS: r.lease_duration ?? 0, renewable: !!r.renewable };
  }

  async revoke(leaseID: string): Promise<void> {
    await this.client.apiRequest('PUT', 'sys/leases/revoke', { body: { lease_id: leaseID } });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A store's value as `.Data`: a map as it is, bytes as their JSON object when they hold one. */
export function storeData(v: Awaited<ReturnType<SecretsClient['getSecret']>>): Record<string, unknown> {
  if (v.kind === 'map') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v.data)) out[k] = x instanceof Uint8Array ? bytesText(x) : x;
    return out;
  }
  const text = bytesText(v.data);
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // A plain string value.
  }
  return { value: text };
}

function bytesText(b: Uint8Array): string {
  try {
    return decoder.decode(b);
  } catch {
    return Buffer.from(b).toString('base64');
  }
}

/** Any provider through its store client: reads only (no leases, no writes). */
export class StoreSource implements Source {
  constructor(
    private readonly client: SecretsClient,
    readonly describe: string,
  ) {}

  async fetch(ref: DependencyRef): Promise<Fetched> {
    if (ref.fn !== 'secret' || ref.args.length > 0)
      throw new ProviderError(
        'Unsupported',
        `${ref.fn}${ref.args.length > 0 ? ' with arguments' : ''} needs a Vault source; ${this.describe} only reads keys`,
      );
    const v = await this.client.getSecret({ key: ref.path });
    return {
      secret: {
        RequestID: '',
        LeaseID: '',
        LeaseDuration: 0,
        Renewable: false,
        Data: storeData(v),
        Warnings: [],
      },
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
