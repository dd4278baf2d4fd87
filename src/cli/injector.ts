// `syncret injector`: the Pod admission webhook (docs/DELIVERY.md, "The injector"), and
// `syncret injector copy DIR`, which its exec-mode init container runs. Exit codes: 0 stopped
// by a signal or copied, 1 a failure at start (no apiserver, no port), 2 a usage error.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { AddressError, parseListenAddress } from '../config/address.js';
import { parseGoDuration } from '../config/duration.js';
import { LOG_LEVELS } from '../config/logging.js';
import type { LogLevel } from '../config/logging.js';
import type { InjectorConfig } from '../injector/annotations.js';
import { CopyError, copyExecutable } from '../injector/copy.js';
import { apiStoreLookup } from '../injector/stores.js';
import { WebhookTls } from '../injector/tls.js';
import { webhookServer } from '../injector/webhook.js';
import { createKubeClient } from '../kube/client.js';
import { createLogger } from '../observability/logger.js';
import { VERSION } from '../version.js';
import { eachFlag } from './args.js';

export const INJECTOR_USAGE = `Usage: syncret injector [flags]
       syncret injector copy [--single-executable] DIR

Serves the mutating admission webhook that adds the Syncret agent to pods annotated for the
Vault Agent injector (vault.hashicorp.com/*) or with syncret.io/store. Keeps its own CA and
serving certificate in a Secret and the caBundle of its MutatingWebhookConfiguration current.

Flags:
  --listen ADDR              HTTPS address (default :8443)
  --namespace NS             the injector's namespace (default: the pod's, else $POD_NAMESPACE)
  --service NAME             its Service, for the certificate's DNS names (default syncret-injector)
  --tls-secret NAME          the Secret holding the CA and certificate (default syncret-injector-tls)
  --webhook-config NAME      the MutatingWebhookConfiguration to patch (default syncret-injector)
  --tls-san NAME|IP          another name of the certificate (repeatable)
  --ca-validity DUR          CA lifetime (default 8760h); renewed with a third left
  --cert-validity DUR        serving certificate lifetime (default 2160h); renewed with a third left
  --image IMAGE              the Syncret image of the agent containers (default ghcr.io/syncret/syncret:${VERSION})
  --vault-addr URL           Vault address for pods without vault.hashicorp.com/service
  --token-audience AUD       audience of the projected token (default: the apiserver's)
  --run-as-user UID          agent containers' uid and gid (default 65532, the image's user)
  --controller-class NAME    stores of this controller class only (default "")
  --kubeconfig FILE          default: in-cluster, else ~/.kube/config
  --single-executable        exec mode copies the single executable (dist/sea/syncret, one
                             file) instead of Node and the program; the image must contain it
  --allow-insecure-credentials
                             agents may send credentials over http:// (test setups only)
  --log-level LEVEL          ${LOG_LEVELS.join(', ')} (default info)
`;

export class InjectorUsageError extends Error {
  override readonly name = 'InjectorUsageError';
}

export interface InjectorArgs {
  listen: string;
  namespace?: string;
  service: string;
  tlsSecret: string;
  webhookConfig: string;
  sans: string[];
  caValidityMs: number;
  certValidityMs: number;
  image: string;
  vaultAddr?: string;
  tokenAudience?: string;
  runAsUser: number;
  controllerClass: string;
  kubeconfig?: string;
  allowInsecure: boolean;
  singleExecutable: boolean;
  logLevel: LogLevel;
}

function duration(flag: string, v: string): number {
  try {
    const ms = parseGoDuration(v);
    if (ms >= 1000) return ms;
  } catch {
    // reported below
  }
  throw new InjectorUsageError(`${flag} "${v}" is not a duration of at least 1s, such as 720h`);
}

export function parseInjectorArgs(argv: readonly string[]): InjectorArgs | 'help' {
  const a: InjectorArgs = {
    listen: ':8443',
    service: 'syncret-injector',
    tlsSecret: 'syncret-injector-tls',
    webhookConfig: 'syncret-injector',
    sans: [],
    caValidityMs: 8760 * 3_600_000,
    certValidityMs: 2160 * 3_600_000,
    image: `ghcr.io/syncret/syncret:${VERSION}`,
    runAsUser: 65532,
    controllerClass: '',
    allowInsecure: false,
    singleExecutable: false,
    logLevel: 'info',
  };
  for (const { arg, name, value } of eachFlag(argv, (m) => new InjectorUsageError(m))) {
    if (arg === '-h' || arg === '--help' || arg === 'help') return 'help';
    const text: Record<string, (v: string) => void> = {
      '--listen': (v) => (a.listen = v),
      '--namespace': (v) => (a.namespace = v),
      '--service': (v) => (a.service = v),
      '--tls-secret': (v) => (a.tlsSecret = v),
      '--webhook-config': (v) => (a.webhookConfig = v),
      '--tls-san': (v) => a.sans.push(v),
      '--ca-validity': (v) => (a.caValidityMs = duration(name, v)),
      '--cert-validity': (v) => (a.certValidityMs = duration(name, v)),
      '--image': (v) => (a.image = v),
      '--vault-addr': (v) => (a.vaultAddr = v),
      '--token-audience': (v) => (a.tokenAudience = v),
      '--controller-class': (v) => (a.controllerClass = v),
      '--kubeconfig': (v) => (a.kubeconfig = v),
      '--run-as-user': (v) => {
        if (!/^[0-9]{1,9}$/.test(v)) throw new InjectorUsageError(`--run-as-user "${v}" is not a uid`);
        a.runAsUser = Number(v);
      },
      '--log-level': (v) => {
        if (!(LOG_LEVELS as readonly string[]).includes(v))
          throw new InjectorUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
        a.logLevel = v as LogLevel;
      },
    };
    if (name === '--allow-insecure-credentials') a.allowInsecure = true;
    else if (name === '--single-executable') a.singleExecutable = true;
    else if (text[name]) text[name](value());
    else throw new InjectorUsageError(`unknown argument "${arg}"`);
  }
  try {
    parseListenAddress(a.listen);
  } catch (e) {
    if (e instanceof AddressError) throw new InjectorUsageError(`--listen: ${e.message}`);
    throw e;
  }
  if (a.certValidityMs > a.caValidityMs)
    throw new InjectorUsageError('--cert-validity must not exceed --ca-validity');
  return a;
}

function ownNamespace(a: InjectorArgs): string {
  if (a.namespace) return a.namespace;
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim();
  } catch {
    const env = process.env.POD_NAMESPACE;
    if (env) return env;
    throw new InjectorUsageError('the injector namespace is unknown: give --namespace');
  }
}

export function injectorConfig(a: InjectorArgs, namespace: string): InjectorConfig {
  return {
    image: a.image,
    // What copy.ts puts into the volume, so the app container's command names it.
    execPrefix: a.singleExecutable ? ['/syncret/syncret'] : ['/syncret/node', '/syncret/app/dist/main.js'],
    copyCommand: [
      '/nodejs/bin/node',
      '/app/dist/main.js',
      'injector',
      'copy',
      ...(a.singleExecutable ? ['--single-executable'] : []),
      '/syncret',
    ],
    vaultAddr: a.vaultAddr,
    tokenAudience: a.tokenAudience,
    ownNamespace: namespace,
    runAsUser: a.runAsUser,
    runAsGroup: a.runAsUser,
    allowInsecureCredentials: a.allowInsecure || undefined,
  };
}

async function serve(a: InjectorArgs): Promise<number> {
  const logger = createLogger({ level: a.logLevel });
  const namespace = ownNamespace(a);
  const kube = await createKubeClient({
    kubeconfigPath: a.kubeconfig,
    userAgent: `syncret-injector/${VERSION}`,
  });
  const config = injectorConfig(a, namespace);
  const web = webhookServer({ config, lookup: apiStoreLookup(kube, a.controllerClass), logger });
  const names = [
    `${a.service}.${namespace}.svc`,
    `${a.service}.${namespace}.svc.cluster.local`,
    ...a.sans.filter((s) => isIP(s) || s.length > 0),
  ];
  const tls = new WebhookTls({
    kube,
    namespace,
    secretName: a.tlsSecret,
    webhookConfig: a.webhookConfig,
    names: [...new Set(names)],
    caValidityMs: a.caValidityMs,
    certValidityMs: a.certValidityMs,
    logger,
    onServing: (cert, key) => web.setCertificate(cert, key),
  });
  // The first certificate before the port opens: a connection without one would fail TLS.
  await tls.reconcile();
  const { host, port } = parseListenAddress(a.listen);
  await new Promise<void>((resolve, reject) => {
    web.server.once('error', reject);
    web.server.listen(port, host, () => resolve());
  });
  const addr = web.server.address();
  logger.info(
    { address: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : a.listen },
    'injector listening',
  );
  const stop = new AbortController();
  const loop = tls.run(stop.signal);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  stop.abort();
  await loop;
  await new Promise<void>((resolve) => web.server.close(() => resolve()));
  await kube.close();
  logger.info({}, 'injector stopped');
  return 0;
}

async function copyCommand(argv: string[]): Promise<number> {
  const single = argv[0] === '--single-executable';
  const rest = single ? argv.slice(1) : argv;
  if (rest.length !== 1 || !rest[0]!.startsWith('/')) {
    console.error('usage: syncret injector copy [--single-executable] DIR (an absolute directory)');
    return 2;
  }
  try {
    const prefix = await copyExecutable(rest[0]!, undefined, single);
    console.error(`syncret injector copy: ${prefix.join(' ')} is ready`);
    return 0;
  } catch (e) {
    if (e instanceof CopyError) {
      console.error(`syncret injector copy: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

export async function injectorCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'copy') return copyCommand(argv.slice(1));
  let args: InjectorArgs | 'help';
  try {
    args = parseInjectorArgs(argv);
    if (args === 'help') {
      process.stdout.write(INJECTOR_USAGE);
      return 0;
    }
    ownNamespace(args);
  } catch (e) {
    if (e instanceof InjectorUsageError) {
      console.error(`syncret injector: ${e.message}`);
      return 2;
    }
    throw e;
  }
  try {
    return await serve(args);
  } catch (e) {
    console.error(`syncret injector: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
