// Non-negotiable: no secret value in logs or Events. Scans without ever printing a value.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { events } from './kube.js';
import { LOG_DIR } from './paths.js';

function forms(value: string): string[] {
  const b = Buffer.from(value);
  return [value, b.toString('base64'), b.toString('base64url')].filter((s) => s.length >= 6);
}

export async function findSecretLeaks(values: string[]): Promise<string[]> {
  const needles = values.flatMap((v, i) => forms(v).map((f) => ({ f, i })));
  const found: string[] = [];
  for (const file of readdirSync(LOG_DIR)) {
    const text = readFileSync(join(LOG_DIR, file), 'utf8');
    for (const { f, i } of needles) if (text.includes(f)) found.push(`log ${file} contains test value #${i}`);
  }
  for (const ev of await events()) {
    const text = [ev.reason, ev.message, ev.action].filter(Boolean).join(' ');
    for (const { f, i } of needles) {
      if (text.includes(f))
        found.push(`Event ${ev.metadata?.namespace}/${ev.metadata?.name} contains test value #${i}`);
    }
  }
  return found;
}

export async function assertNoSecretLeaks(values: string[]): Promise<void> {
  const found = await findSecretLeaks(values);
  if (found.length > 0) throw new Error(`secret values leaked:\n${found.join('\n')}`);
}
