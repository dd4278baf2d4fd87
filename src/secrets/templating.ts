// target.template (ESO engine v2), in ESO's order (ApplyTemplate in
// pkg/controllers/externalsecret/externalsecret_controller_template.go, ESO 2.9):
// 1. the provider data, only with `mergePolicy: Merge` or when the template has neither data
//    nor templateFrom;
// 2. templateFrom[], in order: ConfigMap items, Secret items, then the literal;
// 3. template.data (wins over templateFrom);
// 4. template.metadata labels and annotations, rendered (they win over templateFrom's).
// Templates run with missingkey=error over the provider data as strings. ConfigMaps and
// Secrets named by templateFrom live in the ExternalSecret's namespace and are read at every
// sync (as ESO: there is no watch on them, a change shows at the next refresh).

import { yaml } from './yaml.js';
import type { DecodingStrategy, ExternalSecret, TemplateFrom, TemplateRefItem } from '../api/types.js';
import { decode } from './decode.js';
import { SecretDataError, quoteName, redactValues } from './errors.js';
import {
  TemplateBudget,
  TemplateError,
  parseTemplate,
  withCostBudget,
  withKeysOffLoop,
} from './template/index.js';

export { TemplateBudget } from './template/index.js';
import { goBytes, goString } from './template/bytes.js';

export interface Rendered {
  data: Record<string, Uint8Array>;
  /** Undefined without a template: the Secret then takes the ExternalSecret's own (as ESO). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The data of the ConfigMaps and Secrets templateFrom names, by kind and name. */
export interface TemplateSources {
  configMaps: Map<string, Record<string, Uint8Array>>;
  secrets: Map<string, Record<string, Uint8Array>>;
}

/** Reads a ConfigMap (data and binaryData) or a Secret of the ExternalSecret's namespace; undefined when it does not exist. */
export type TemplateSourceLoader = (
  kind: 'ConfigMap' | 'Secret',
  name: string,
) => Promise<Record<string, Uint8Array> | undefined>;

type Target = 'data' | 'labels' | 'annotations';

const decoder = new TextDecoder();

const dataReason = (e: TemplateError) => (e.reason === 'TemplatePaced' ? 'TemplatePaced' : 'TemplateFailed');

function templateFailed(e: unknown): never {
  if (e instanceof TemplateError) throw new SecretDataError(dataReason(e), e.message);
  throw e;
}

function render(where: string, text: string, input: Record<string, string>, budget: TemplateBudget): string {
  try {
    // ESO executes with missingkey=error: a typo in a key name fails instead of writing "<no value>".
    return parseTemplate(where, text).execute(input, { missingKey: 'error', budget });
  } catch (e) {
    // `{{ .password | fail }}` puts the value into the error, which becomes a condition.
    if (e instanceof TemplateError)
      throw new SecretDataError(dataReason(e), redactValues(e.message, Object.values(input)));
    throw e;
  }
}

/**
 * Renders one rewrite transform for a key (ESO passes `{value: key}`, default missingkey);
 * `budget` is the sync's (a find may return thousands of keys), else one per key.
 */
export function renderKeyTransform(
  where: string,
  template: string,
  key: string,
  budget?: TemplateBudget,
): string {
  try {
    return parseTemplate(where, template).execute({ value: key }, { budget });
  } catch (e) {
    templateFailed(e);
  }
}

/** The templateFrom sources of an ExternalSecret, each read once. */
export async function loadTemplateSources(
  es: ExternalSecret,
  load: TemplateSourceLoader,
): Promise<TemplateSources> {
  const sources: TemplateSources = { configMaps: new Map(), secrets: new Map() };
  const ns = es.metadata.namespace ?? '';
  for (const [i, tf] of (es.spec?.target?.template?.templateFrom ?? []).entries()) {
    for (const kind of ['ConfigMap', 'Secret'] as const) {
      const ref = kind === 'ConfigMap' ? tf.configMap : tf.secret;
      if (!ref) continue;
      const field = kind === 'ConfigMap' ? 'configMap' : 'secret';
      const map = kind === 'ConfigMap' ? sources.configMaps : sources.secrets;
      const name = ref.name ?? '';
      if (!name)
        throw new SecretDataError('TemplateSourceNotFound', `templateFrom[${i}].${field}.name must be set`);
      if (map.has(name)) continue;
      const data = await load(kind, name);
      if (data === undefined) {
        throw new SecretDataError(
          'TemplateSourceNotFound',
          `templateFrom[${i}].${field}: ${kind} ${quoteName(name)} not found in namespace ${quoteName(ns)}`,
        );
      }
      map.set(name, data);
    }
  }
  return sources;
}

function targetOf(tf: TemplateFrom): Target {
  // ESO compares the target case-insensitively; Data is the default.
  const t = (tf.target ?? 'Data').toLowerCase();
  return t === 'labels' || t === 'annotations' ? t : 'data';
}

class Output {
  readonly data: Record<string, Uint8Array>;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;

  constructor(
    data: Record<string, Uint8Array>,
    labels: Record<string, string>,
    annotations: Record<string, string>,
  ) {
    this.data = data;
    this.labels = labels;
    this.annotations = annotations;
  }

  set(target: Target, key: string, value: Uint8Array): void {
    if (target === 'data') this.data[key] = value;
    else this[target][key] = decoder.decode(value);
  }
}

/**
 * templateAs KeysAndValues: the rendered text is a YAML map whose keys and values both land in
 * the target. ESO decodes it into map[string]string; scalars are accepted as their text here,
 * nested values are refused.
 */
function keysAndValues(where: string, rendered: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = yaml().parse(rendered, { maxAliasCount: 100 }) as unknown;
  } catch {
    // The YAML parser's message can quote the rendered text, which holds secret values.
    throw new SecretDataError('TemplateFailed', `${where}: the rendered template is not a YAML map`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new SecretDataError('TemplateFailed', `${where}: the rendered template is not a YAML map`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (v === null || v === undefined) out[k] = '';
    else if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else
      throw new SecretDataError(
        'TemplateFailed',
        `${where}: the value of key ${quoteName(k)} in the rendered YAML map is not a string`,
      );
  }
  return out;
}

/** How one templateFrom entry renders: its target and templateFrom[].valuesDecodingStrategy. */
interface ItemOptions {
  target: Target;
  /** ESO decodes every rendered value (both scopes) before it lands in the target. */
  decoding: DecodingStrategy | undefined;
  /** `templateFrom[i]`, for decoding messages. */
  entry: string;
}

function applyItem(
  out: Output,
  where: string,
  key: string,
  text: string,
  scope: TemplateRefItem['templateAs'],
  opts: ItemOptions,
  input: Record<string, string>,
  budget: TemplateBudget,
): void {
  const put = (k: string, v: string) =>
    out.set(opts.target, k, decode(goBytes(v), opts.decoding, { key: '', secretKey: k, where: opts.entry }));
  const rendered = render(where, text, input, budget);
  if (scope === 'KeysAndValues') {
    for (const [k, v] of Object.entries(keysAndValues(where, rendered))) put(k, v);
  } else {
    put(key, rendered);
  }
}

function applyTemplateFrom(
  out: Output,
  list: readonly TemplateFrom[],
  sources: TemplateSources | undefined,
  input: Record<string, string>,
  budget: TemplateBudget,
): void {
  for (const [i, tf] of list.entries()) {
    const opts: ItemOptions = {
      target: targetOf(tf),
      decoding: tf.valuesDecodingStrategy,
      entry: `templateFrom[${i}]`,
    };
    for (const kind of ['configMap', 'secret'] as const) {
      const ref = tf[kind];
      if (!ref) continue;
      const name = ref.name ?? '';
      const src = (kind === 'configMap' ? sources?.configMaps : sources?.secrets)?.get(name);
      if (!src) {
        throw new SecretDataError(
          'TemplateSourceNotFound',
          `templateFrom[${i}].${kind}: ${kind === 'configMap' ? 'ConfigMap' : 'Secret'} ${quoteName(name)} was not loaded`,
        );
      }
      for (const [j, item] of (ref.items ?? []).entries()) {
        const key = item.key ?? '';
        const where = `templateFrom[${i}].${kind}.items[${j}]`;
        const text = Object.hasOwn(src, key) ? src[key] : undefined;
        if (text === undefined) {
          throw new SecretDataError(
            'TemplateSourceNotFound',
            `${where}: ${kind === 'configMap' ? 'ConfigMap' : 'Secret'} ${quoteName(name)} has no key ${quoteName(key)}`,
          );
        }
        applyItem(out, `${where} (${key})`, key, decoder.decode(text), item.templateAs, opts, input, budget);
      }
    }
    if (tf.literal !== undefined) {
      applyItem(out, `templateFrom[${i}].literal`, '', tf.literal, 'KeysAndValues', opts, input, budget);
    }
  }
}

/**
 * The Secret data, labels and annotations a template produces from the provider data.
 * `sources` holds what templateFrom reads (loadTemplateSources). Throws SecretDataError
 * (TemplateFailed, TemplateSourceNotFound) with messages that name keys, lines and columns only.
 */
export function applyTemplate(
  es: ExternalSecret,
  data: Record<string, Uint8Array>,
  sources?: TemplateSources,
  /** The sync's template budget (shared with its rewrite transforms); default a fresh one. */
  budget: TemplateBudget = new TemplateBudget(),
): Rendered {
  // Every template of the ExternalSecret shares one budget for key generation and the like.
  return withCostBudget(() => renderAll(es, data, sources, budget));
}

/**
 * applyTemplate for a sync: RSA and DSA keys its functions make are generated off the event
 * loop (template/keys.ts), so a template's keys never hold /healthz or other syncs.
 */
export function applyTemplateOffLoop(
  es: ExternalSecret,
  data: Record<string, Uint8Array>,
  sources: TemplateSources | undefined,
  budget: TemplateBudget,
): Promise<Rendered> {
  return withKeysOffLoop(() => applyTemplate(es, data, sources, budget));
}

function renderAll(
  es: ExternalSecret,
  data: Record<string, Uint8Array>,
  sources: TemplateSources | undefined,
  budget: TemplateBudget,
): Rendered {
  const tmpl = es.spec?.target?.template;
  if (!tmpl) return { data };
  const input: Record<string, string> = {};
  // Go passes string(bytes): binary values (a PKCS#12 bundle) must reach functions intact.
  for (const [k, v] of Object.entries(data)) input[k] = goString(v);

  const templateFrom = tmpl.templateFrom ?? [];
  const templated = tmpl.data ?? {};
  const noTemplate = Object.keys(templated).length === 0 && templateFrom.length === 0;
  const out = new Output(
    tmpl.mergePolicy === 'Merge' || noTemplate ? { ...data } : {},
    { ...tmpl.metadata?.labels },
    { ...tmpl.metadata?.annotations },
  );
  // One budget for every template of this sync: no ExternalSecret holds the event loop, however
  // many templates it has (template/limits.ts).
  applyTemplateFrom(out, templateFrom, sources, input, budget);
  for (const [key, text] of Object.entries(templated))
    out.data[key] = goBytes(render(key, text, input, budget));
  for (const [k, v] of Object.entries(tmpl.metadata?.labels ?? {}))
    out.labels[k] = v.includes('{{') ? render(`metadata.labels.${k}`, v, input, budget) : v;
  for (const [k, v] of Object.entries(tmpl.metadata?.annotations ?? {}))
    out.annotations[k] = v.includes('{{') ? render(`metadata.annotations.${k}`, v, input, budget) : v;
  return { data: out.data, labels: out.labels, annotations: out.annotations };
}

// ---- target.manifest (a ConfigMap or another kind) ----

/**
 * One write into a generic target object, in ESO's order. `set`: a value for key `key` at
 * `target` (Data, Labels, Annotations, spec, or a path such as spec.db.host, where ESO puts
 * every key's value at that same path); `yaml`: a rendered YAML document for a path or spec,
 * merged into the map there (replacing it for a one-step path).
 */
export type ManifestOp =
  | { op: 'set'; target: string; key: string; value: string }
  | { op: 'yaml'; target: string; where: string; text: string };

const isTopLevel = (target: string) => ['data', 'labels', 'annotations'].includes(target.toLowerCase());

/**
 * What a template writes into a target.manifest object, as ESO 2.9's renderTemplatedManifest
 * does: per templateFrom entry its literal (KeysAndValues at the entry's target), then its
 * ConfigMap and Secret items (rendered into Data, then rendered once more, as ESO's Parser
 * does); then template.data into Data. template.metadata is not rendered there (ESO copies it).
 */
export function renderManifestOps(
  es: ExternalSecret,
  data: Record<string, Uint8Array>,
  sources: TemplateSources | undefined,
  budget: TemplateBudget = new TemplateBudget(),
): ManifestOp[] {
  return withCostBudget(() => manifestOps(es, data, sources, budget));
}

function manifestOps(
  es: ExternalSecret,
  data: Record<string, Uint8Array>,
  sources: TemplateSources | undefined,
  budget: TemplateBudget,
): ManifestOp[] {
  const tmpl = es.spec?.target?.template;
  const ops: ManifestOp[] = [];
  if (!tmpl) return ops;
  const input: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) input[k] = goString(v);
  const text = (b: Uint8Array) => decoder.decode(b);
  for (const [i, tf] of (tmpl.templateFrom ?? []).entries()) {
    const target = tf.target || 'Data';
    const entry = `templateFrom[${i}]`;
    const decodeAs = (k: string, v: string) =>
      text(decode(goBytes(v), tf.valuesDecodingStrategy, { key: '', secretKey: k, where: entry }));
    if (tf.literal !== undefined) {
      const where = `${entry}.literal`;
      const rendered = render(where, tf.literal, input, budget);
      if (isTopLevel(target)) {
        for (const [k, v] of Object.entries(keysAndValues(where, rendered)))
          ops.push({ op: 'set', target, key: k, value: decodeAs(k, v) });
      } else ops.push({ op: 'yaml', target, where, text: rendered });
    }
    if (!tf.configMap && !tf.secret) continue;
    if (target.toLowerCase() !== 'data')
      throw new SecretDataError(
        'TemplateFailed',
        `${entry}: ConfigMap and Secret template items write into Data only when the target is a target.manifest (target ${quoteName(target)} is not supported there; use a literal)`,
      );
    // ESO renders the items into a scratch Secret's data, then renders that data again into the object.
    const out = new Output({}, {}, {});
    applyTemplateFrom(out, [{ ...tf, literal: undefined }], sources, input, budget);
    for (const [k, v] of Object.entries(out.data))
      ops.push({ op: 'set', target, key: k, value: render(`${entry} (${k})`, text(v), input, budget) });
  }
  for (const [key, t] of Object.entries(tmpl.data ?? {}))
    ops.push({ op: 'set', target: 'Data', key, value: render(key, t, input, budget) });
  return ops;
}
