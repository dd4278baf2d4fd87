// Non-negotiable: no secret value in the operator's logs or in Events (nor in any other text a
// suite hands in: an object's status, the /metrics page). The scan reports where
// a value was found (file and line, or Event) and in which encoding, never the value.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventsV1Api } from '@kubernetes/client-node';
import { adminKubeConfig, coreApi } from './cluster.js';
import { LOG_DIR } from './paths.js';

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

/** Text the operator wrote somewhere else (an object's status, its /metrics), to scan as well. */
export interface ScannedText {
  where: string;
  text: string;
}

/** Every leak of any of the values, as "where" descriptions (values never included). */
export async function findSecretLeaks(values: string[], extra: ScannedText[] = []): Promise<string[]> {
  const all = values.flatMap((v, i) => needles(v, i));
  const found: string[] = [];
  if (all.length === 0) return found;
  for (const t of extra) scanText(t.where, t.text, all, found, false);

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
export async function assertNoSecretLeaks(values: string[], extra: ScannedText[] = []): Promise<void> {
  const found = await findSecretLeaks(values, extra);
  if (found.length > 0) throw new Error(`secret values leaked:\n  ${found.join('\n  ')}`);
}
