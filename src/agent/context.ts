// A ProviderContext for the agent, `syncret fetch` and the library: the providers' own auth
// code, with credentials found where a workload has them instead of asked from the apiserver
// on the operator's behalf:
// - a ServiceAccount token is the workload's own (the projected token file of its pod, per
//   audience, or a CI job's OIDC ID token): a store's serviceAccountRef names whose token the
//   operator would mint, and a workload can present only its own, so the name is not used;
//   the backend (a Vault role, an IAM trust policy) decides what that identity may read;
// - ServiceAccount annotations (the IRSA role, workload identity ids) come with the
//   configuration (the injector copies them from the pod's ServiceAccount);
// - Secret and ConfigMap keys are files (<dir>/<name>/<key>, as a Secret volume lays them out).
// The TLS rule is the operator's: credentials go over https:// only, unless allowed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretKeySelector, ServiceAccountSelector } from '../api/types.js';
import { ProviderError } from '../providers/errors.js';
import { requireTls } from '../providers/tls.js';
import type { ProviderContext } from '../providers/types.js';

/** Gives the workload's token for these audiences (undefined: whatever the file or job holds). */
export type TokenSource = (audiences: string[] | undefined) => Promise<string>;

/** Reads one key of a Secret or ConfigMap by name (the namespace rule is the caller's). */
export type KeyReader = (
  kind: 'Secret' | 'ConfigMap',
  sel: SecretKeySelector,
  what: string,
) => Promise<Uint8Array>;

export interface StandaloneIdentity {
  token?: TokenSource;
  /** Annotations of the workload's ServiceAccount (eks.amazonaws.com/role-arn, ...). */
  serviceAccountAnnotations?: Record<string, string>;
  keys?: KeyReader;
  allowInsecureCredentials?: boolean;
  signal?: AbortSignal;
  /** Where this runs, for messages: "the agent", "syncret fetch". */
  who: string;
}

/** Token files: one per audience, else the one file whatever the audience. */
export function fileTokenSource(
  tokenFile: string | undefined,
  perAudience: Record<string, string> = {},
): TokenSource {
  return async (audiences) => {
    const aud = audiences?.find((a) => Object.hasOwn(perAudience, a));
    const file = aud !== undefined ? perAudience[aud] : tokenFile;
    if (!file)
      throw new ProviderError(
        'InvalidProviderConfig',
        `no ServiceAccount token file${audiences?.length ? ` for audience ${audiences.join(', ')}` : ''} is configured`,
      );
    let token: string;
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new ProviderError(
        'InvalidProviderConfig',
        `cannot read the ServiceAccount token ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    if (!token) throw new ProviderError('InvalidProviderConfig', `the ServiceAccount token ${file} is empty`);
    return token;
  };
}

/** Secret and ConfigMap keys as files under `dir`: <dir>/<name>/<key>. */
export function fileKeyReader(dir: string): KeyReader {
  return async (kind, sel, what) => {
    if (!sel.name || !sel.key) throw new ProviderError('InvalidProviderConfig', `${what} needs name and key`);
    if (/[/\\]|^\.\.?$/.test(sel.name) || /[/\\]|^\.\.?$/.test(sel.key))
      throw new ProviderError('InvalidProviderConfig', `${what}: name and key must not contain a path`);
    const file = join(dir, sel.name, sel.key);
    try {
      return new Uint8Array(readFileSync(file));
    } catch (e) {
      throw new ProviderError(
        'InvalidProviderConfig',
        `${what}: ${kind} "${sel.name}" key "${sel.key}" is not at ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
}

export function standaloneContext(id: StandaloneIdentity): ProviderContext {
  const noKeys = (what: string): never => {
    throw new ProviderError(
      'InvalidProviderConfig',
      `${what}: ${id.who} reads Secret and ConfigMap keys only from files (identity.secretsDir: <dir>/<name>/<key>, as a Secret volume lays them out)`,
    );
  };
  return {
    signal: id.signal ?? new AbortController().signal,
    requireTls: (url, what) => requireTls(url, what, !!id.allowInsecureCredentials),
    readSecretKey: async (sel, what) => (id.keys ? id.keys('Secret', sel, what) : noKeys(what)),
    readConfigMapKey: async (sel, what) =>
      Buffer.from(id.keys ? await id.keys('ConfigMap', sel, what) : noKeys(what)).toString('utf8'),
    requestServiceAccountToken: async (_sel: ServiceAccountSelector, opts = {}) => {
      if (!id.token)
        throw new ProviderError(
          'InvalidProviderConfig',
          `${id.who} has no ServiceAccount or OIDC token configured`,
        );
      return id.token(opts.audiences ?? _sel.audiences);
    },
    readServiceAccountAnnotations: async () => ({ ...(id.serviceAccountAnnotations ?? {}) }),
  };
}
