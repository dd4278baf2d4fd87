// PushSecret into Azure Key Vault, with ESO 2.9's key syntax and metadata
// (providers/v1/azure/keyvault/keyvault.go): `secret/NAME` (default) sets a secret (metadata:
// expirationDate, contentType, tags), `key/NAME` imports a key from a PEM private key (PKCS#8,
// PKCS#1, SEC1), a JWK, or raw bytes (a symmetric key), `cert/NAME` imports a certificate from
// PEM (certificate and key) or PKCS#12. Everything a push creates carries the tag managed-by:
// external-secrets; an object without it is never written nor deleted. Nothing is written when
// the latest version already holds the value: the secret's value, expiry and content type; the
// key's public half; the certificate's DER.
//
// Different from ESO: a symmetric key carries a tag with the SHA-256 of its material, since Key
// Vault never returns it (ESO imports a new version at every push); tags are compared and
// updated without a new version.

import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { JsonWebKey as NodeJwk } from 'node:crypto';
import type { CertificateClient } from '@azure/keyvault-certificates';
import type { JsonWebKey, KeyClient } from '@azure/keyvault-keys';
import type { SecretClient } from '@azure/keyvault-secrets';
import forge from 'node-forge';
import { ProviderError } from '../errors.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  bytesEqual,
  isOwned,
  isString,
  isStringMap,
  jsonEquivalent,
  notOwned,
  parsePushMetadata,
  pushBytes,
} from '../push.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest, SecretsWriter } from '../types.js';
import { parseKey } from './keys.js';

interface KvMetadata {
  expirationDate: string;
  contentType: string;
  tags: Record<string, string>;
}

const FIELDS = {
  expirationDate: isString,
  contentType: isString,
  tags: (v: unknown, where: string) =>
    isStringMap(v, where) ??
    (Object.hasOwn(v as object, MANAGED_BY_KEY)
      ? `${where}: cannot specify a '${MANAGED_BY_KEY}' tag`
      : undefined),
};

/** Syncret's tag on symmetric keys: Key Vault never returns their material to compare. */
export const OCT_HASH_TAG = 'syncret-key-sha256';

/** What the writer needs of a connected client. */
export interface KvCalls {
  readonly secrets: SecretClient;
  readonly keys: KeyClient;
  readonly certs: CertificateClient;
  readonly signal: AbortSignal;
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

const decoder = new TextDecoder();
const JWK_FIELDS = ['n', 'e', 'd', 'dp', 'dq', 'qi', 'p', 'q', 'k', 'x', 'y'] as const;

const notFound = (e: unknown): boolean => e instanceof ProviderError && e.reason === 'NotFound';

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (notFound(e)) return undefined;
    throw e;
  }
}

/** The tags a push wants: metadata's, and the ownership tag (other tags are not kept, as ESO). */
function owner(meta: Partial<KvMetadata> | undefined): Record<string, string> {
  return { ...(meta?.tags ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE };
}

/** A key's material as Key Vault imports it. */
export function keyFromValue(value: Uint8Array, what: string): JsonWebKey {
  const text = decoder.decode(value);
  let jwk: NodeJwk | undefined;
  if (text.includes('-----BEGIN')) {
    try {
      jwk = createPrivateKey(text).export({ format: 'jwk' });
    } catch {
      // The parser's message could quote key material.
      throw new ProviderError(
        'InvalidRequest',
        `${what}: the value is not a PEM private key (PKCS#8, PKCS#1 or SEC1)`,
      );
    }
  } else if (text.trimStart().startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as NodeJwk;
      if (typeof parsed.kty === 'string') jwk = parsed;
    } catch {
      jwk = undefined;
    }
    if (!jwk) throw new ProviderError('InvalidRequest', `${what}: the value is not a JSON Web Key`);
  }
  if (!jwk) return { kty: 'oct', k: value };
  const out: JsonWebKey = { kty: jwk.kty as JsonWebKey['kty'] };
  if (jwk.crv) out.crv = jwk.crv as JsonWebKey['crv'];
  for (const f of JWK_FIELDS) {
    const v = (jwk as Record<string, unknown>)[f];
    if (typeof v === 'string') out[f] = new Uint8Array(Buffer.from(v, 'base64url'));
  }
  return out;
}

function samePublicKey(a: JsonWebKey | undefined, b: JsonWebKey): boolean {
  if (!a) return false;
  const kty = (k: JsonWebKey) => (k.kty ?? '').replace(/-HSM$/, '');
  if (kty(a) !== kty(b)) return false;
  const eq = (f: 'n' | 'e' | 'x' | 'y') => bytesEqual(a[f], b[f]);
  return kty(b) === 'RSA' ? eq('n') && eq('e') : a.crv === b.crv && eq('x') && eq('y');
}

/** The leaf certificate's DER and how Key Vault must read the value, or a refusal. */
export function certificateFromValue(
  value: Uint8Array,
  what: string,
): { der: Buffer; contentType: 'application/x-pem-file' | 'application/x-pkcs12'; bytes: Uint8Array } {
  const text = decoder.decode(value);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  if (pem) {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
      throw new ProviderError(
        'InvalidRequest',
        `${what}: the PEM holds no private key, which Key Vault needs to import a certificate`,
      );
    return { der: new X509Certificate(pem).raw, contentType: 'application/x-pem-file', bytes: value };
  }
  try {
    const p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(Buffer.from(value).toString('binary')),
      false,
      '',
    );
    const certBag = forge.pki.oids.certBag ?? '';
    const bags = p12.getBags({ bagType: certBag })[certBag] ?? [];
    const cert = bags[0]?.cert;
    if (!cert) throw new Error('no certificate');
    const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
    return { der, contentType: 'application/x-pkcs12', bytes: value };
  } catch {
    throw new ProviderError(
      'InvalidRequest',
      `${what}: the value is neither a PEM certificate with its key nor a PKCS#12 bundle without a password`,
    );
  }
}

export class KeyVaultWriter implements SecretsWriter {
  constructor(private readonly c: KvCalls) {}

  async push(req: PushRequest): Promise<PushOutcome> {
    const meta = parsePushMetadata<KvMetadata>('azurekv', req.metadata, FIELDS);
    const { type, name } = parseKey(req.ref.remoteKey);
    const value = pushBytes(req.value);
    if (type === 'secret') return this.pushSecret(name, value, meta);
    if (meta?.expirationDate || meta?.contentType)
      throw new ProviderError(
        'InvalidRequest',
        `metadata expirationDate and contentType apply to secrets, not ${type}/ objects`,
      );
    return type === 'key' ? this.pushKey(name, value, meta) : this.pushCert(name, value, meta);
  }

  private async pushSecret(
    name: string,
    value: Uint8Array,
    meta: Partial<KvMetadata> | undefined,
  ): Promise<PushOutcome> {
    const what = `secret "${name}"`;
    const signal = this.c.signal;
    let expiresOn: Date | undefined;
    if (meta?.expirationDate) {
      expiresOn = new Date(meta.expirationDate);
      if (Number.isNaN(expiresOn.getTime()) || !/^\d{4}-\d\d-\d\dT/.test(meta.expirationDate))
        throw new ProviderError(
          'InvalidRequest',
          `metadata expirationDate "${meta.expirationDate}" is not RFC 3339 (e.g. 2026-12-31T20:00:00Z)`,
        );
    }
    const s = await orUndefined(
      this.c.call(what, () => this.c.secrets.getSecret(name, { abortSignal: signal })),
    );
    if (s && !isOwned(s.properties.tags)) throw notOwned('Key Vault secret', { remoteKey: name }, 'tag');
    const tags = owner(meta);
    const text = decoder.decode(value);
    const sameValue =
      !!s &&
      s.value === text &&
      (s.properties.expiresOn?.getTime() ?? undefined) === (expiresOn?.getTime() ?? undefined) &&
      (meta?.contentType === undefined || s.properties.contentType === meta.contentType);
    if (s && sameValue) {
      if (jsonEquivalent(s.properties.tags ?? {}, tags)) return 'unchanged';
      await this.c.call(what, () =>
        this.c.secrets.updateSecretProperties(name, s.properties.version ?? '', {
          tags,
          abortSignal: signal,
        }),
      );
      return 'updated';
    }
    await this.c.call(what, () =>
      this.c.secrets.setSecret(name, text, {
        tags,
        enabled: true,
        contentType: meta?.contentType ?? s?.properties.contentType,
        ...(expiresOn ? { expiresOn } : {}),
        abortSignal: signal,
      }),
    );
    return s ? 'updated' : 'created';
  }

  private async pushKey(
    name: string,
    value: Uint8Array,
    meta: Partial<KvMetadata> | undefined,
  ): Promise<PushOutcome> {
    const what = `key "${name}"`;
    const signal = this.c.signal;
    const jwk = keyFromValue(value, what);
    const k = await orUndefined(this.c.call(what, () => this.c.keys.getKey(name, { abortSignal: signal })));
    if (k && !isOwned(k.properties.tags))
      throw notOwned('Key Vault key', { remoteKey: `key/${name}` }, 'tag');
    const tags = owner(meta);
    if (jwk.kty === 'oct')
      tags[OCT_HASH_TAG] = createHash('sha256')
        .update(jwk.k ?? new Uint8Array())
        .digest('hex');
    const same =
      !!k &&
      (jwk.kty === 'oct'
        ? k.properties.tags?.[OCT_HASH_TAG] === tags[OCT_HASH_TAG]
        : samePublicKey(k.key, jwk));
    if (k && same) {
      if (jsonEquivalent(k.properties.tags ?? {}, tags)) return 'unchanged';
      await this.c.call(what, () =>
        this.c.keys.updateKeyProperties(name, k.properties.version ?? '', { tags, abortSignal: signal }),
      );
      return 'updated';
    }
    await this.c.call(what, () => this.c.keys.importKey(name, jwk, { tags, abortSignal: signal }));
    return k ? 'updated' : 'created';
  }

  private async pushCert(
    name: string,
    value: Uint8Array,
    meta: Partial<KvMetadata> | undefined,
  ): Promise<PushOutcome> {
    const what = `certificate "${name}"`;
    const signal = this.c.signal;
    const local = certificateFromValue(value, what);
    const c = await orUndefined(
      this.c.call(what, () => this.c.certs.getCertificate(name, { abortSignal: signal })),
    );
    if (c && !isOwned(c.properties.tags))
      throw notOwned('Key Vault certificate', { remoteKey: `cert/${name}` }, 'tag');
    const tags = owner(meta);
    if (c?.cer && bytesEqual(new Uint8Array(c.cer), new Uint8Array(local.der))) {
      if (jsonEquivalent(c.properties.tags ?? {}, tags)) return 'unchanged';
      await this.c.call(what, () =>
        this.c.certs.updateCertificateProperties(name, c.properties.version ?? '', {
          tags,
          abortSignal: signal,
        }),
      );
      return 'updated';
    }
    await this.c.call(what, () =>
      this.c.certs.importCertificate(name, local.bytes, {
        tags,
        policy: { contentType: local.contentType, issuerName: 'Unknown' },
        abortSignal: signal,
      }),
    );
    return c ? 'updated' : 'created';
  }

  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const { type, name } = parseKey(ref.remoteKey);
    const signal = this.c.signal;
    const what = `${type === 'cert' ? 'certificate' : type} "${name}"`;
    const got = await orUndefined(
      this.c.call(what, async () => {
        if (type === 'secret')
          return (await this.c.secrets.getSecret(name, { abortSignal: signal })).properties;
        if (type === 'key') return (await this.c.keys.getKey(name, { abortSignal: signal })).properties;
        return (await this.c.certs.getCertificate(name, { abortSignal: signal })).properties;
      }),
    );
    if (!got) return 'absent';
    if (!isOwned(got.tags)) return 'not-owned';
    // Only the first step of the delete operation: Key Vault then keeps the object deleted
    // (soft delete) for its retention period; waiting for that is not Syncret's business.
    await this.c.call(what, async () => {
      if (type === 'secret') await this.c.secrets.beginDeleteSecret(name, { abortSignal: signal });
      else if (type === 'key') await this.c.keys.beginDeleteKey(name, { abortSignal: signal });
      else await this.c.certs.beginDeleteCertificate(name, { abortSignal: signal });
    });
    return 'deleted';
  }

  async exists(ref: PushRef): Promise<boolean> {
    const { type, name } = parseKey(ref.remoteKey);
    const signal = this.c.signal;
    const what = `${type} "${name}"`;
    const got = await orUndefined(
      this.c.call(what, async () => {
        if (type === 'secret') return this.c.secrets.getSecret(name, { abortSignal: signal });
        if (type === 'key') return this.c.keys.getKey(name, { abortSignal: signal });
        return this.c.certs.getCertificate(name, { abortSignal: signal });
      }),
    );
    return got !== undefined;
  }
}
