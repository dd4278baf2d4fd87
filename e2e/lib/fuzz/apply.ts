// Creates fuzz manifests with plain POSTs as the admin: no client-side discovery or validation
// stands between a manifest and the apiserver, so whatever is refused is refused by the
// apiserver (schema, CEL, names, unknown kinds), with its own status code and message.

import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { clusterEnv } from '../cluster.js';
import { ADMIN_KUBECONFIG } from '../paths.js';
import type { Manifest } from './manifests.js';

export type Created = { ok: true } | { ok: false; code: number; message: string };

const PLURALS: Record<string, string> = {
  ExternalSecret: 'externalsecrets',
  SecretStore: 'secretstores',
  ClusterSecretStore: 'clustersecretstores',
  ClusterExternalSecret: 'clusterexternalsecrets',
};
const CLUSTER_SCOPED = new Set(['ClusterSecretStore', 'ClusterExternalSecret']);

let agent: Agent | undefined;
let token = '';

function client(): { agent: Agent; base: string } {
  const env = clusterEnv();
  if (!agent) {
    agent = new Agent({ connect: { ca: readFileSync(env.APISERVER_CA) }, connections: 16 });
    token = /token:\s*(\S+)/.exec(readFileSync(ADMIN_KUBECONFIG, 'utf8'))?.[1] ?? '';
  }
  return { agent, base: env.APISERVER_URL };
}

export function collectionPath(m: Manifest, ns: string): string {
  const group = m.apiVersion.includes('/') ? `/apis/${m.apiVersion}` : `/api/${m.apiVersion}`;
  const plural = PLURALS[m.kind] ?? `${m.kind.toLowerCase()}s`;
  const scope = CLUSTER_SCOPED.has(m.kind)
    ? ''
    : `/namespaces/${encodeURIComponent(m.metadata.namespace ?? ns)}`;
  return `${group}${scope}/${encodeURIComponent(plural)}`;
}

export async function createRaw(m: Manifest, ns: string, strict: boolean): Promise<Created> {
  const { agent: dispatcher, base } = client();
  const res = await request(`${base}${collectionPath(m, ns)}${strict ? '?fieldValidation=Strict' : ''}`, {
    method: 'POST',
    dispatcher,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(m),
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const text = await res.body.text();
  if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // not a Status object
  }
  return { ok: false, code: res.statusCode, message: message.slice(0, 500) };
}

export async function closeRawClient(): Promise<void> {
  await agent?.close();
  agent = undefined;
}
