// target.template (ESO engine v2): data and metadata values are Go templates over the
// provider data. `mergePolicy: Replace` (default) keeps only the templated keys; `Merge`
// lays them over the provider data. Without template data the provider data passes through.

import type { ExternalSecret } from '../api/types.js';
import { SecretDataError } from './errors.js';
import { TemplateError, parseTemplate } from './template/index.js';

export interface Rendered {
  data: Record<string, Uint8Array>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function render(where: string, text: string, input: Record<string, string>): string {
  try {
    // ESO executes with missingkey=error: a typo in a key name fails instead of writing "<no value>".
    return parseTemplate(where, text).execute(input, { missingKey: 'error' });
  } catch (e) {
    if (e instanceof TemplateError) throw new SecretDataError('TemplateFailed', e.message);
    throw e;
  }
}

function renderMap(
  prefix: string,
  m: Record<string, string> | undefined,
  input: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {}))
    out[k] = v.includes('{{') ? render(`${prefix}.${k}`, v, input) : v;
  return out;
}

export function applyTemplate(es: ExternalSecret, data: Record<string, Uint8Array>): Rendered {
  const tmpl = es.spec?.target?.template;
  if (!tmpl) return { data, labels: {}, annotations: {} };
  if (tmpl.templateFrom && tmpl.templateFrom.length > 0) {
    throw new SecretDataError(
      'Unsupported',
      'target.template.templateFrom is not supported by this Syncret version yet',
    );
  }
  const input: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) input[k] = decoder.decode(v);
  const labels = renderMap('metadata.labels', tmpl.metadata?.labels, input);
  const annotations = renderMap('metadata.annotations', tmpl.metadata?.annotations, input);
  const templated = tmpl.data ?? {};
  if (Object.keys(templated).length === 0) return { data, labels, annotations };
  const out: Record<string, Uint8Array> = tmpl.mergePolicy === 'Merge' ? { ...data } : {};
  for (const [key, text] of Object.entries(templated)) out[key] = encoder.encode(render(key, text, input));
  return { data: out, labels, annotations };
}
