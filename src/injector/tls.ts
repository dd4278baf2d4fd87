// Keeps the webhook's certificate valid without cert-manager: the material lives in a Secret of
// the injector's namespace (so replicas and restarts share it), is renewed when a third of its
// life is left, and the MutatingWebhookConfiguration's caBundle is patched to trust the current
// CA and the earlier ones still valid (a CA rotation never leaves the apiserver trusting
// neither). Replicas race through resourceVersion: the loser reads the winner's Secret.

import type { KubeObject } from '../api/types.js';
import { SECRETS } from '../kube/resources.js';
import type { KubeApi, KubeLogger, ResourceType } from '../kube/types.js';
import { KubeApiError } from '../kube/types.js';
import { jitteredBackoff } from '../runtime/time/backoff.js';
import { sleep } from '../runtime/time/sleep.js';
import { caBundle, renew, renewalReason } from './certs.js';
import type { TlsMaterial } from './certs.js';

export const MUTATING_WEBHOOKS: ResourceType = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  resource: 'mutatingwebhookconfigurations',
  namespaced: false,
  kind: 'MutatingWebhookConfiguration',
};

export interface TlsOptions {
  kube: KubeApi;
  namespace: string;
  secretName: string;
  /** The MutatingWebhookConfiguration whose webhooks get the caBundle. */
  webhookConfig: string;
  /** DNS names and IP addresses of the serving certificate. */
  names: string[];
  caValidityMs: number;
  certValidityMs: number;
  logger: KubeLogger;
  /** Called with the serving pair whenever it changes (the server swaps its context). */
  onServing(cert: string, key: string): void;
  now?: () => number;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
  type?: string;
}

const KEYS = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  previousCAs: 'ca-previous.crt',
  cert: 'tls.crt',
  key: 'tls.key',
};
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

function materialOf(s: SecretObject | undefined): TlsMaterial | undefined {
  if (!s?.data) return undefined;
  const m = Object.fromEntries(
    Object.entries(KEYS).map(([k, key]) => [k, unb64(s.data![key])]),
  ) as unknown as TlsMaterial;
  return m.caCert && m.caKey && m.cert && m.key ? m : undefined;
}

export class WebhookTls {
  private served = '';
  private readonly now: () => number;

  constructor(private readonly o: TlsOptions) {
    this.now = o.now ?? Date.now;
  }

  private ref(): { type: ResourceType; namespace: string; name: string } {
    return { type: SECRETS, namespace: this.o.namespace, name: this.o.secretName };
  }

  private async read(): Promise<SecretObject | undefined> {
    try {
      return await this.o.kube.get<SecretObject>(this.ref());
    } catch (e) {
      if (e instanceof KubeApiError && e.notFound) return undefined;
      throw e;
    }
  }

  private async write(have: SecretObject | undefined, m: TlsMaterial): Promise<void> {
    const data = Object.fromEntries(
      Object.entries(KEYS).map(([k, key]) => [key, b64(m[k as keyof TlsMaterial])]),
    );
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        ...(have?.metadata ?? {}),
        name: this.o.secretName,
        namespace: this.o.namespace,
        labels: { ...(have?.metadata.labels ?? {}), 'app.kubernetes.io/component': 'injector' },
      },
      data,
    };
    if (have) await this.o.kube.replace(this.ref(), body);
    else await this.o.kube.create(this.ref(), body);
  }

  /** The caBundle of every webhook of the configuration, patched only where it differs. */
  private async patchCaBundle(bundle: string): Promise<boolean> {
    const ref = { type: MUTATING_WEBHOOKS, name: this.o.webhookConfig };
    const cfg = await this.o.kube.get<KubeObject & { webhooks?: { clientConfig?: { caBundle?: string } }[] }>(
      ref,
    );
    const want = b64(bundle);
    const hooks = cfg.webhooks ?? [];
    if (hooks.every((h) => h.clientConfig?.caBundle === want)) return false;
    for (const h of hooks) h.clientConfig = { ...(h.clientConfig ?? {}), caBundle: want };
    await this.o.kube.replace(ref, cfg);
    return true;
  }

  /** One pass: renew what is due, store it, patch the caBundle, hand the pair to the server. */
  async reconcile(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const have = await this.read();
      let m = materialOf(have);
      const now = this.now();
      const reason = renewalReason(m, this.o.names, now);
      if (reason) {
        m = await renew(m, reason, this.o.names, now, {
          caMs: this.o.caValidityMs,
          certMs: this.o.certValidityMs,
        });
        try {
          await this.write(have, m);
        } catch (e) {
          // Another replica wrote first: use its certificate.
          if (e instanceof KubeApiError && e.conflict && attempt < 3) continue;
          throw e;
        }
        this.o.logger.info({ secret: this.o.secretName, reason }, 'webhook certificate issued');
      }
      if (await this.patchCaBundle(caBundle(m!, now)))
        this.o.logger.info({ webhookConfiguration: this.o.webhookConfig }, 'caBundle patched');
      if (m!.cert !== this.served) {
        this.served = m!.cert;
        this.o.onServing(m!.cert, m!.key);
      }
      return;
    }
  }

  /**
   * How long until the next check: a sixth of the serving certificate's life, at most a minute,
   * so a caBundle that an upgrade of the chart or a GitOps sync emptied comes back within a
   * minute (two GETs a minute).
   */
  checkIntervalMs(): number {
    return Math.max(1000, Math.min(60_000, this.o.certValidityMs / 6));
  }

  /** Reconciles until the signal aborts; failures back off with jitter and never stop the loop. */
  async run(signal: AbortSignal): Promise<void> {
    const backoff = jitteredBackoff({ baseMs: 1000, maxMs: 60_000 });
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.reconcile();
        failures = 0;
        await sleep(this.checkIntervalMs(), signal);
      } catch (e) {
        failures++;
        this.o.logger.warn(
          { err: e instanceof Error ? e.message : String(e), failures },
          'webhook certificate check failed; retrying',
        );
        await sleep(backoff.delay(failures), signal);
      }
    }
  }
}
