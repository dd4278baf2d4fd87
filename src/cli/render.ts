// `syncret render`: the Secret the operator would write for an ExternalSecret, computed
// offline so users can check templates without a cluster. The same pipeline as the operator
// (renderSecretData → desiredSecret); only the world differs:
// stores, ConfigMaps and Secrets come from the given YAML files, and values either from the
// store's provider (the fake provider; or a real one whose credentials need no cluster) or
// from a JSON file of remote key → value.

import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type {
  ConfigMap,
  ExternalSecret,
  FindRef,
  KubeObject,
  Secret,
  SecretKeySelector,
  SecretStore,
  StoreKind,
} from '../api/types.js';
import { renderSecretData } from '../controller/externalsecret/pipeline.js';
import type { PipelineWorld } from '../controller/externalsecret/pipeline.js';
import { desiredSecret } from '../controller/externalsecret/target.js';
import type { StoreReader } from '../controller/store/access.js';
import { credentialNamespace } from '../controller/store/credentials.js';
import { resolveStore } from '../controller/store/resolve.js';
import { ProviderError } from '../providers/errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { findNameMatcher } from '../providers/shared.js';
import { requireTls } from '../providers/tls.js';
import type { ProviderContext, RemoteKeyRef, RemoteValue, StoreInfo } from '../providers/types.js';
import { SecretDataError } from '../secrets/errors.js';
import { configMapBytes, secretBytes } from '../secrets/object-data.js';
import type { SecretManifest } from '../secrets/object-data.js';
import { TemplateError } from '../secrets/template/index.js';
import { eachFlag } from './args.js';

export class RenderError extends Error {
  override readonly name = 'RenderError';
}

export interface RenderArgs {
  /** Files holding the ExternalSecret (exactly one) and optionally ConfigMaps and Secrets. */
  files: string[];
  /** Files holding SecretStores / ClusterSecretStores (and optionally credential Secrets). */
  stores: string[];
  /** A JSON file: remote key → value (a string, or any JSON, which is kept as JSON text). */
  data?: string;
  /** Namespace for objects that name none (default "default"). */
  namespace?: string;
  /** Print the data as stringData (readable) where it is UTF-8, instead of base64. */
  decoded?: boolean;
  /** Credentials may go to http:// URLs (as the operator's --allow-insecure-credentials). */
  allowInsecureCredentials?: boolean;
}

export const RENDER_USAGE = `Usage: syncret render -f EXTERNALSECRET.yaml [--store STORE.yaml] [--data VALUES.json] [flags]

Prints the Secret the operator would write for the ExternalSecret, as YAML, without a cluster.

  -f, --file FILE      YAML with the ExternalSecret; may also hold the ConfigMaps and Secrets that
                       templateFrom reads (repeatable)
  --store FILE         YAML with the SecretStore / ClusterSecretStore (repeatable); Secrets in it
                       serve as store credentials
  --data FILE          JSON object of remote key -> value; every store then reads from it
                       (objects are kept as JSON text, so properties and extract work)
  -n, --namespace NS   namespace of objects that set none (default "default")
  --decoded            print UTF-8 values as stringData instead of base64 data
  --allow-insecure-credentials
                       let stores send credentials to http:// URLs (refused by default)
`;

/** Parses the arguments after `render`. */
export function parseRenderArgs(argv: readonly string[]): RenderArgs | 'help' {
  const out: RenderArgs = { files: [], stores: [] };
  for (const { arg, name, value } of eachFlag(argv, (m) => new RenderError(m))) {
    switch (name) {
      case '-h':
      case '--help':
        return 'help';
      case '-f':
      case '--file':
      case '--filename':
        out.files.push(value());
        break;
      case '--store':
        out.stores.push(value());
        break;
      case '--data':
        out.data = value();
        break;
      case '-n':
      case '--namespace':
        out.namespace = value();
        break;
      case '--decoded':
        out.decoded = true;
        break;
      case '--allow-insecure-credentials':
        out.allowInsecureCredentials = true;
        break;
      default:
        throw new RenderError(`unknown argument "${arg}"`);
    }
  }
  if (out.files.length === 0) throw new RenderError('-f EXTERNALSECRET.yaml is required');
  if (out.stores.length === 0 && out.data === undefined)
    throw new RenderError('--store STORE.yaml (or --data VALUES.json) is required');
  return out;
}

function readDocs(file: string): KubeObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RenderError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const docs: KubeObject[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new RenderError(`${file} is not valid YAML: ${doc.errors[0]!.message}`);
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v))
      throw new RenderError(`${file}: every document must be an object`);
    const o = v as KubeObject & { items?: KubeObject[] };
    // A `kind: List` (kubectl get -o yaml) holds its objects in items.
    if (o.kind === 'List' && Array.isArray(o.items)) docs.push(...o.items);
    else docs.push(o);
  }
  return docs;
}

class Objects {
  readonly externalSecrets: ExternalSecret[] = [];
  readonly stores = new Map<string, SecretStore>();
  readonly configMaps = new Map<string, ConfigMap>();
  readonly secrets = new Map<string, SecretManifest>();

  constructor(private readonly defaultNs: string) {}

  add(o: KubeObject, file: string): void {
    const ns = o.metadata?.namespace || this.defaultNs;
    const name = o.metadata?.name ?? '';
    const group = (o.apiVersion ?? '').split('/')[0];
    switch (o.kind) {
      case 'ExternalSecret':
        if (group !== 'external-secrets.io') break;
        this.externalSecrets.push({ ...(o as ExternalSecret), metadata: { ...o.metadata, namespace: ns } });
        return;
      case 'SecretStore':
        this.stores.set(`SecretStore/${ns}/${name}`, {
          ...(o as SecretStore),
          metadata: { ...o.metadata, namespace: ns },
        });
        return;
      case 'ClusterSecretStore':
        this.stores.set(`ClusterSecretStore//${name}`, o as SecretStore);
        return;
      case 'ConfigMap':
        this.configMaps.set(`${ns}/${name}`, o as ConfigMap);
        return;
      case 'Secret':
        this.secrets.set(`${ns}/${name}`, o as SecretManifest);
        return;
    }
    throw new RenderError(`${file}: unexpected object ${o.apiVersion ?? '?'} ${o.kind ?? '?'} "${name}"`);
  }
}

/** Credentials from the given files only: there is no cluster to ask for tokens. */
function offlineContext(objects: Objects, store: StoreInfo, allowInsecure: boolean): ProviderContext {
  const find = (sel: SecretKeySelector, what: string, kind: 'Secret' | 'ConfigMap'): Uint8Array => {
    if (!sel.name || !sel.key) throw new ProviderError('InvalidProviderConfig', `${what} needs name and key`);
    const ns = credentialNamespace(store, sel.namespace, what);
    const obj =
      kind === 'Secret'
        ? objects.secrets.get(`${ns}/${sel.name}`)
        : objects.configMaps.get(`${ns}/${sel.name}`);
    const desc = `${what}: ${kind} "${ns}/${sel.name}"`;
    if (!obj)
      throw new ProviderError(
        'InvalidProviderConfig',
        `${desc} is not in the given files (add it to --store)`,
      );
    const data = kind === 'Secret' ? secretBytes(obj as SecretManifest) : configMapBytes(obj as ConfigMap);
    const v = data[sel.key];
    if (v === undefined) throw new ProviderError('InvalidProviderConfig', `${desc} has no key "${sel.key}"`);
    return v;
  };
  return {
    signal: new AbortController().signal,
    requireTls: (url, what) => requireTls(url, what, allowInsecure),
    readSecretKey: async (sel, what) => find(sel, what, 'Secret'),
    readConfigMapKey: async (sel, what) => Buffer.from(find(sel, what, 'ConfigMap')).toString('utf8'),
    requestServiceAccountToken: async () => {
      throw new ProviderError(
        'Unsupported',
        'ServiceAccount tokens need a cluster; syncret render runs without one',
      );
    },
    readServiceAccountAnnotations: async () => {
      throw new ProviderError(
        'Unsupported',
        'ServiceAccount annotations need a cluster; syncret render runs without one',
      );
    },
  };
}

/** Remote values from a JSON file instead of a provider. */
function dataReader(values: Record<string, unknown>, file: string): StoreReader {
  const toValue = (v: unknown): RemoteValue => ({
    kind: 'bytes',
    data: new Uint8Array(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8')),
  });
  return {
    provider: 'data',
    get: async (ref: RemoteKeyRef) => {
      if (!Object.hasOwn(values, ref.key))
        throw new ProviderError('NotFound', `key "${ref.key}" not found in ${file}`);
      return toValue(values[ref.key]);
    },
    find: async (f: FindRef) => {
      if (f.tags && Object.keys(f.tags).length > 0)
        throw new ProviderError('Unsupported', `${file} has no tags: find by name or path`);
      const matches = findNameMatcher(f);
      const out = new Map<string, RemoteValue>();
      for (const k of Object.keys(values)) {
        if (f.path && !k.startsWith(f.path)) continue;
        if (matches(k)) out.set(k, toValue(values[k]));
      }
      return out;
    },
  };
}

function readValues(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    // JSON's message can quote the input, which holds secret values.
    const code = (e as NodeJS.ErrnoException).code;
    throw new RenderError(code ? `cannot read ${file}: ${code}` : `${file} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new RenderError(`${file} must hold a JSON object of remote key -> value`);
  return parsed as Record<string, unknown>;
}

/** Renders the Secret; throws RenderError with a message naming keys, never values. */
export async function render(args: RenderArgs, registry: ProviderRegistry): Promise<Secret> {
  const objects = new Objects(args.namespace || 'default');
  for (const f of [...args.files, ...args.stores]) for (const o of readDocs(f)) objects.add(o, f);
  if (objects.externalSecrets.length !== 1) {
    throw new RenderError(
      `the files must hold exactly one ExternalSecret (found ${objects.externalSecrets.length})`,
    );
  }
  const es = objects.externalSecrets[0]!;
  const ns = es.metadata.namespace ?? '';
  const values = args.data !== undefined ? readValues(args.data) : undefined;

  const world: PipelineWorld = {
    controllerClass: es.spec?.secretStoreRef ? (lookupStoreClass(objects, es) ?? '') : '',
    store: (kind: StoreKind, namespace: string | undefined, name: string) => {
      const hit = objects.stores.get(`${kind}/${kind === 'SecretStore' ? namespace : ''}/${name}`);
      if (hit || values === undefined) return hit;
      // With --data no store file is needed: any store name resolves to the data file.
      return { metadata: { name, namespace }, spec: { provider: {} } } as SecretStore;
    },
    namespaceLabels: () => undefined,
    templateSource: async (namespace, kind, name) => {
      const key = `${namespace}/${name}`;
      if (kind === 'ConfigMap') {
        const cm = objects.configMaps.get(key);
        return cm && configMapBytes(cm);
      }
      const secret = objects.secrets.get(key);
      return secret && secretBytes(secret);
    },
    source: {
      reader: async (info: StoreInfo): Promise<StoreReader> => {
        if (values !== undefined) return dataReader(values, args.data!);
        const resolved = await registry.resolve(info.provider);
        if ('error' in resolved) throw new ProviderError('InvalidProviderConfig', resolved.error);
        const provider = resolved.provider;
        const invalid = provider.validateSpec(info);
        if (invalid) throw new ProviderError('InvalidProviderConfig', invalid);
        const client = await provider.connect(
          info,
          offlineContext(objects, info, !!args.allowInsecureCredentials),
        );
        return {
          provider: provider.name,
          get: (ref) => client.getSecret(ref),
          find: (find) => {
            if (!client.findSecrets)
              throw new ProviderError('Unsupported', `the ${provider.name} provider cannot find secrets`);
            return client.findSecrets(find);
          },
        };
      },
    },
  };

  const resolution = resolveStore(es.spec?.secretStoreRef, ns, world);
  if (!resolution.ok) throw new RenderError(resolution.message);
  try {
    const rendered = await renderSecretData(es, resolution.info, world);
    const built = desiredSecret({
      es,
      data: rendered.data,
      metadata:
        rendered.labels || rendered.annotations
          ? { labels: rendered.labels, annotations: rendered.annotations }
          : undefined,
    });
    if (!built.ok) throw new RenderError(built.message);
    const secret = built.secret;
    // Offline there is no ExternalSecret uid to point at.
    for (const ref of secret.metadata.ownerReferences ?? [])
      if (!ref.uid) delete (ref as { uid?: string }).uid;
    return secret;
  } catch (e) {
    if (e instanceof ProviderError || e instanceof SecretDataError || e instanceof TemplateError)
      throw new RenderError(e.message);
    throw e;
  }
}

/** The store's controller class, so a store of another class renders too (offline, one operator). */
function lookupStoreClass(objects: Objects, es: ExternalSecret): string | undefined {
  const ref = es.spec?.secretStoreRef;
  const kind = ref?.kind ?? 'SecretStore';
  const ns = kind === 'SecretStore' ? es.metadata.namespace : '';
  return objects.stores.get(`${kind}/${ns}/${ref?.name ?? ''}`)?.spec?.controller;
}

/** The Secret as YAML; with `decoded`, UTF-8 values as stringData (base64 data for the rest). */
export function secretYaml(secret: Secret, decoded = false): string {
  const doc: Record<string, unknown> = { ...secret };
  if (decoded && secret.data) {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const data: Record<string, string> = {};
    const stringData: Record<string, string> = {};
    for (const [k, v] of Object.entries(secret.data)) {
      try {
        stringData[k] = strict.decode(Buffer.from(v, 'base64'));
      } catch {
        data[k] = v;
      }
    }
    delete doc.data;
    if (Object.keys(data).length > 0) doc.data = data;
    if (Object.keys(stringData).length > 0) doc.stringData = stringData;
  }
  return YAML.stringify(doc, { lineWidth: 0 });
}
