// Non-negotiable: no secret value in the operator's logs, Events, the status of any
// external-secrets.io object, or the operator's metrics. The scan reports where a value was
// found (file and line, Event, object or metrics endpoint) and in which encoding, never the value.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, EventsV1Api } from '@kubernetes/client-node';
import { adminKubeConfig, coreApi, customObjectsApi } from './cluster.js';
import type { OperatorHandle } from './operator.js';
import { LOG_DIR } from './paths.js';

/** A text to scan besides the logs and Events: a status, a metrics page. */
export interface LeakSource {
  where: string;
  text: string;
}

/** Taken while the objects and operators still exist; scanned with everything else at the end. */
const snapshots: LeakSource[] = [];

interface Needle {
  text: string;
  index: number;
  form: string;
}

// Shorter needles would match by chance (a 4-character value occurs in any long log).
const MIN_RAW = 6;
const MIN_DERIVED = 8;

/**
 * The encodings a value may take on its way into a log line or an Event: as is, JSON-escaped,
 * base64 and base64url of the value alone, and base64 of the value inside a longer encoded
 * blob (e.g. a whole Secret's data), which depends on the value's offset modulo 3. For the
 * latter only the middle characters determined by the value's own bytes are searched.
 */
function needles(value: string, index: number): Needle[] {
  const out: Needle[] = [];
  const add = (text: string, form: string, min: number) => {
    if (text.length >= min && !out.some((n) => n.text === text)) out.push({ text, index, form });
  };
  const bytes = Buffer.from(value, 'utf8');
  add(value, 'raw', MIN_RAW);
  add(JSON.stringify(value).slice(1, -1), 'JSON-escaped', MIN_RAW);
  add(bytes.toString('base64'), 'base64', MIN_DERIVED);
  add(bytes.toString('base64url'), 'base64url', MIN_DERIVED);
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    add(encoded.slice(4, -4), `base64 inside a longer blob (offset ${offset})`, MIN_DERIVED);
  }
  return out;
}

function scanText(where: string, text: string, all: Needle[], found: string[], byLine: boolean): void {
  const reported = new Set<number>();
  for (const n of all) {
    if (reported.has(n.index)) continue;
    const at = text.indexOf(n.text);
    if (at < 0) continue;
    reported.add(n.index);
    const line = byLine ? `:${text.slice(0, at).split('\n').length}` : '';
    found.push(`${where}${line} contains test value #${n.index} (${n.form})`);
  }
}

/** The status of every object of every external-secrets.io kind (generators too), in all namespaces. */
export async function statusSources(): Promise<LeakSource[]> {
  const crds = await adminKubeConfig().makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
  const out: LeakSource[] = [];
  for (const crd of crds.items) {
    const { group, names } = crd.spec;
    if (group !== 'external-secrets.io' && !group.endsWith('.external-secrets.io')) continue;
    const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name;
    if (!version) continue;
    const list = (await customObjectsApi().listClusterCustomObject({
      group,
      version,
      plural: names.plural,
    })) as {
      items?: { metadata?: { namespace?: string; name?: string }; status?: unknown }[];
    };
    for (const o of list.items ?? []) {
      if (o.status === undefined) continue;
      const at = o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata?.name;
      out.push({ where: `status of ${names.kind} ${at}`, text: JSON.stringify(o.status) });
    }
  }
  return out;
}

/** The /metrics page of each operator still running. */
export async function metricsSources(operators: (OperatorHandle | undefined)[]): Promise<LeakSource[]> {
  const out: LeakSource[] = [];
  for (const op of operators) {
    if (!op || op.exited()) continue;
    // A busy operator may take longer than one request's 5 s: the scan must not be skipped.
    let text: string | undefined;
    for (let attempt = 1; text === undefined; attempt++) {
      try {
        text = await op.metrics();
      } catch (e) {
        if (attempt >= 4) throw e;
      }
    }
    out.push({ where: `metrics of the operator logging to ${op.logFile}`, text });
  }
  return out;
}

/**
 * Keeps the status of every object and the operators' metrics for the final scan: call it
 * before a test deletes what it made or stops an operator (finishSuite does).
 */
export async function snapshotForLeakScan(operators: (OperatorHandle | undefined)[] = []): Promise<void> {
  snapshots.push(...(await metricsSources(operators)), ...(await statusSources()));
}

/** Every leak of any of the values, as "where" descriptions (values never included). */
export async function findSecretLeaks(values: string[], extra: LeakSource[] = []): Promise<string[]> {
  const all = values.flatMap((v, i) => needles(v, i));
  const found: string[] = [];
  if (all.length === 0) return found;

  for (const src of [...snapshots, ...extra]) scanText(src.where, src.text, all, found, true);

  if (existsSync(LOG_DIR)) {
    for (const file of readdirSync(LOG_DIR).sort()) {
      if (!file.endsWith('.log')) continue;
      scanText(`log ${join(LOG_DIR, file)}`, readFileSync(join(LOG_DIR, file), 'utf8'), all, found, true);
    }
  }

  // Both Event APIs: the operator may record through either, and each has its own fields
  // (core/v1 message, events.k8s.io/v1 note).
  const core = await coreApi().listEventForAllNamespaces({});
  for (const ev of core.items) {
    const text = [ev.reason, ev.message, ev.action].filter(Boolean).join('\n');
    scanText(`Event ${ev.metadata?.namespace}/${ev.metadata?.name}`, text, all, found, false);
  }
  const v1 = await adminKubeConfig().makeApiClient(EventsV1Api).listEventForAllNamespaces({});
  for (const ev of v1.items) {
    const text = [ev.reason, ev.note, ev.action].filter(Boolean).join('\n');
    scanText(`Event (events.k8s.io) ${ev.metadata?.namespace}/${ev.metadata?.name}`, text, all, found, false);
  }
  return found;
}

/** Throws, naming each place a value was found, if any value leaked. */
export async function assertNoSecretLeaks(values: string[], extra: LeakSource[] = []): Promise<void> {
  const found = await findSecretLeaks(values, extra);
  if (found.length > 0) throw new Error(`secret values leaked:\n  ${found.join('\n  ')}`);
}
