// Kubeconfig and in-cluster configuration, read by Syncret itself. @kubernetes/client-node's
// KubeConfig pulls in the whole generated API client on import (about 85 MiB of RSS and 30 MiB
// of heap, measured in bench/), more than all the rest of the operator at 10,000 objects;
// what the operator needs from a kubeconfig fits in this file.
//
// Supported: current-context (or a named one), clusters with server, certificate-authority
// (-data), insecure-skip-tls-verify and tls-server-name; users with token, tokenFile,
// client-certificate(-data) / client-key(-data) and exec credential plugins
// (client.authentication.k8s.io v1 and v1beta1). Not supported, with an error that says so:
// basic auth, legacy auth-provider plugins (use their exec replacements), proxy-url.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { ClusterConfig } from './cluster.js';

export const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
export const IN_CLUSTER_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

interface NamedCluster {
  name?: string;
  cluster?: {
    server?: string;
    'certificate-authority'?: string;
    'certificate-authority-data'?: string;
    'insecure-skip-tls-verify'?: boolean;
    'tls-server-name'?: string;
    'proxy-url'?: string;
  };
}

interface ExecConfig {
  apiVersion?: string;
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
}

interface NamedUser {
  name?: string;
  user?: {
    token?: string;
    tokenFile?: string;
    'client-certificate'?: string;
    'client-certificate-data'?: string;
    'client-key'?: string;
    'client-key-data'?: string;
    username?: string;
    password?: string;
    'auth-provider'?: { name?: string };
    exec?: ExecConfig;
  };
}

interface NamedContext {
  name?: string;
  context?: { cluster?: string; user?: string; namespace?: string };
}

interface KubeconfigDoc {
  'current-context'?: string;
  clusters?: NamedCluster[] | null;
  users?: NamedUser[] | null;
  contexts?: NamedContext[] | null;
}

/** One kubeconfig file with the directory its relative paths are resolved against. */
interface Source {
  doc: KubeconfigDoc;
  dir: string;
}

export interface KubeconfigOptions {
  /** A context other than the current one. */
  context?: string;
}

function parseDoc(text: string, what: string): KubeconfigDoc {
  let doc: unknown;
  try {
    // Loaded here: in a pod (the service account) no kubeconfig is read, and yaml stays unloaded.
    doc = (createRequire(import.meta.url)('yaml') as typeof Yaml).parse(text);
  } catch {
    // The parser's message can quote the file, and a kubeconfig holds credentials.
    throw new KubeconfigError(`${what} is not valid YAML`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new KubeconfigError(`${what} is not a kubeconfig`);
  return doc as KubeconfigDoc;
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new KubeconfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

const abs = (dir: string, p: string): string => (isAbsolute(p) ? p : join(dir, p));

/** Like client-go: the first file that defines a name wins, and the first current-context. */
function pick<T extends { name?: string }>(
  sources: Source[],
  list: (d: KubeconfigDoc) => T[] | null | undefined,
  name: string,
): [T, Source] | undefined {
  for (const s of sources) {
    const hit = (list(s.doc) ?? []).find((x) => x?.name === name);
    if (hit) return [hit, s];
  }
  return undefined;
}

const b64text = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

function fromSources(
  sources: Source[],
  opts: KubeconfigOptions & { inline?: boolean },
  what: string,
): ClusterConfig {
  const ctxName = opts.context ?? sources.map((s) => s.doc['current-context']).find((c) => c);
  if (!ctxName) throw new KubeconfigError(`${what} has no current-context`);
  const ctx = pick(sources, (d) => d.contexts, ctxName)?.[0]?.context;
  if (!ctx) throw new KubeconfigError(`${what} has no context "${ctxName}"`);
  const clusterHit = ctx.cluster ? pick(sources, (d) => d.clusters, ctx.cluster) : undefined;
  const cluster = clusterHit?.[0].cluster;
  if (!cluster?.server)
    throw new KubeconfigError(`${what}: context "${ctxName}" has no cluster with a server`);
  if (cluster['proxy-url'])
    throw new KubeconfigError(`${what}: proxy-url is not supported (use HTTPS_PROXY)`);
  const cdir = clusterHit![1].dir;
  const u0 = ctx.user ? pick(sources, (d) => d.users, ctx.user)?.[0].user : undefined;
  // A kubeconfig from a Secret must not make the operator read its own files or run commands.
  if (
    opts.inline &&
    (cluster['certificate-authority'] ||
      u0?.['client-certificate'] ||
      u0?.['client-key'] ||
      u0?.tokenFile ||
      u0?.exec)
  )
    throw new KubeconfigError(
      `${what}: file paths and exec plugins are not allowed here; inline the *-data fields and a token`,
    );
  const cfg: ClusterConfig = {
    server: cluster.server,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
  if (cluster['tls-server-name']) cfg.tlsServerName = cluster['tls-server-name'];
  if (cluster['certificate-authority-data']) cfg.caData = b64text(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority'])
    cfg.caData = readFile(abs(cdir, cluster['certificate-authority']), 'certificate-authority');

  const userHit = ctx.user ? pick(sources, (d) => d.users, ctx.user) : undefined;
  const user = userHit?.[0].user;
  if (!user) return cfg;
  const udir = userHit![1].dir;
  if (user.username || user.password)
    throw new KubeconfigError(`${what}: basic authentication (username/password) is not supported`);
  if (user['auth-provider'])
    throw new KubeconfigError(
      `${what}: the legacy auth-provider "${user['auth-provider'].name ?? '?'}" is not supported; use its exec credential plugin`,
    );
  if (user['client-certificate-data']) cfg.certData = b64text(user['client-certificate-data']);
  else if (user['client-certificate'])
    cfg.certData = readFile(abs(udir, user['client-certificate']), 'client-certificate');
  if (user['client-key-data']) cfg.keyData = b64text(user['client-key-data']);
  else if (user['client-key']) cfg.keyData = readFile(abs(udir, user['client-key']), 'client-key');
  if (user.token) cfg.token = user.token;
  else if (user.tokenFile) cfg.token = tokenFile(abs(udir, user.tokenFile));
  else if (user.exec) cfg.token = execToken(user.exec, udir);
  return cfg;
}

/** A token file, re-read on each call (the client calls at most every 10 s): it rotates. */
export function tokenFile(path: string): () => Promise<string> {
  return async () => readFile(path, 'token file').trim();
}

interface ExecCredential {
  status?: { token?: string; expirationTimestamp?: string; clientCertificateData?: string };
}

/** An exec credential plugin, run again only when its token nears its expiry. */
function execToken(exec: ExecConfig, dir: string): () => Promise<string> {
  if (!exec.command) throw new KubeconfigError('kubeconfig exec plugin has no command');
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
  // A bare command name is looked up on PATH; a relative path is relative to the kubeconfig.
  const command = exec.command.includes('/') ? abs(dir, exec.command) : exec.command;
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.token;
    const env = { ...process.env };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify({
      apiVersion,
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    const out = await new Promise<string>((resolve, reject) => {
      execFile(command, exec.args ?? [], { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout) => {
        // stderr and the error text may carry the plugin's secrets; name the command only.
        if (err)
          reject(
            new KubeconfigError(`kubeconfig exec plugin ${exec.command} failed (${err.code ?? 'error'})`),
          );
        else resolve(stdout);
      });
    });
    let cred: ExecCredential;
    try {
      cred = JSON.parse(out) as ExecCredential;
    } catch {
      throw new KubeconfigError(`kubeconfig exec plugin ${exec.command} did not print an ExecCredential`);
    }
    const token = cred.status?.token;
    if (!token) throw new KubeconfigError(`kubeconfig exec plugin ${exec.command} returned no token`);
    const exp = cred.status?.expirationTimestamp ? Date.parse(cred.status.expirationTimestamp) : NaN;
    // Without an expiry the token is reused until a 401 clears it (the client asks again).
    cached = { token, until: Number.isFinite(exp) ? exp - 30_000 : Date.now() + 5 * 60_000 };
    return token;
  };
}

/** A kubeconfig given as text (e.g. from a Secret); file paths in it are not allowed. */
export function parseKubeconfig(text: string, opts: KubeconfigOptions = {}): ClusterConfig {
  const doc = parseDoc(text, 'the kubeconfig');
  return fromSources([{ doc, dir: '/nonexistent' }], { ...opts, inline: true }, 'the kubeconfig');
}

/** Kubeconfig files: $KUBECONFIG (a path list, merged) or ~/.kube/config. */
export function loadKubeconfigFiles(paths?: string[], opts: KubeconfigOptions = {}): ClusterConfig {
  const list =
    paths ??
    (process.env.KUBECONFIG
      ? process.env.KUBECONFIG.split(delimiter).filter(Boolean)
      : [join(homedir(), '.kube', 'config')]);
  const sources = list.map((p) => ({
    doc: parseDoc(readFile(p, 'kubeconfig'), `kubeconfig ${p}`),
    dir: dirname(p),
  }));
  return fromSources(sources, opts, `kubeconfig ${list.join(delimiter)}`);
}

/** The pod's own ServiceAccount: the projected token rotates, so it is re-read. */
export function inClusterConfig(): ClusterConfig {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeconfigError('not running in a pod (KUBERNETES_SERVICE_HOST is unset)');
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${h}:${port}`,
    caData: readFile(IN_CLUSTER_CA, 'in-cluster CA'),
    token: tokenFile(IN_CLUSTER_TOKEN),
  };
}
