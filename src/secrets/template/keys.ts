// RSA and DSA key generation off the event loop. An RSA-4096 key costs 0.3-1.6 s of CPU, and a
// template function is synchronous: generated in place, it held /healthz and every other sync
// for that long (the fuzz suite measured 1.6 s tasks in genPrivateKey). Templates are pure
// functions of their input apart from randomness, so a sync that asks for keys renders again:
// - a pass records every key it asks for beyond those prepared, and is given a placeholder (one
//   per kind, generated once, off the loop) so that it runs to its end; its output is dropped;
// - the keys it asked for are generated in libuv's thread pool (crypto.generateKeyPair);
// - the next pass takes the prepared keys in the order asked; when it asks for none beyond
//   them, its output is the result. A placeholder never reaches a result.
// A template without keys renders once, as before. One whose key count changes from pass to
// pass (keys behind a random choice) gets the missing keys generated in place after
// MAX_PASSES. Where no passes run (offline commands, PushSecret and generator templates), keys
// are generated in place, within the render's cost budget (cost.ts), as before. Each pass
// spends the sync's template budget again: a template that makes keys costs about two renders.

import { generateKeyPair, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { COST, chargeBudget, chargeCost, costly, pacedUnits, refundPace } from './cost.js';

export type KeyKind = 'rsa4096' | 'rsa2048' | 'dsa';

const PARAMS = {
  rsa4096: ['rsa', { modulusLength: 4096 }],
  rsa2048: ['rsa', { modulusLength: 2048 }],
  dsa: ['dsa', { modulusLength: 2048, divisorLength: 256 }],
} as const;

/** After this many passes a template that keeps asking for new keys gets them in place. */
const MAX_PASSES = 3;

/** Thrown inside a pass when a kind has no placeholder yet: the pass stops and one is made. */
export class KeysNeeded extends Error {
  override readonly name = 'KeysNeeded';
}

interface Supply {
  /** Keys generated for this sync, by kind, in the order the last pass asked for them. */
  ready: Map<KeyKind, KeyObject[]>;
  /** What this pass asked for beyond `ready`. */
  wanted: KeyKind[];
  /** The last pass: a key not prepared is made in place. */
  last: boolean;
}

let current: Supply | undefined;
const placeholders = new Map<KeyKind, KeyObject>();

function generateSync(kind: KeyKind): KeyObject {
  const [type, opts] = PARAMS[kind];
  return generateKeyPairSync(type as 'rsa', opts as { modulusLength: number }).privateKey;
}

function generateAsync(kind: KeyKind): Promise<KeyObject> {
  const [type, opts] = PARAMS[kind];
  return new Promise((resolve, reject) =>
    generateKeyPair(type as 'rsa', opts as { modulusLength: number }, (err, _pub, priv) =>
      err ? reject(err) : resolve(priv),
    ),
  );
}

/** The key a template function uses: this sync's prepared one, a placeholder, or one made now. */
export function newKey(kind: KeyKind): KeyObject {
  const s = current;
  if (!s) return costly(kind, () => generateSync(kind));
  const k = s.ready.get(kind)?.shift();
  if (k) {
    // Its pace was drawn when first asked for; the render's budget counts it again here, so
    // that a render's limit holds whatever pass it is.
    chargeBudget(kind);
    return k;
  }
  if (s.last) return costly(kind, () => generateSync(kind));
  // Charged once, when first asked for (the next pass takes it free), so the budget and the
  // operator's pace bound key generation as before.
  chargeCost(kind);
  s.wanted.push(kind);
  const p = placeholders.get(kind);
  if (!p) throw new KeysNeeded(`no placeholder ${kind} key yet`);
  return p;
}

function copyOf(m: Map<KeyKind, KeyObject[]>): Map<KeyKind, KeyObject[]> {
  return new Map([...m].map(([k, v]) => [k, [...v]]));
}

/** Runs `render` with its RSA and DSA keys generated off the event loop (see the top of this file). */
export async function withKeysOffLoop<T>(render: () => T): Promise<T> {
  const supply: Supply = { ready: new Map(), wanted: [], last: false };
  for (let pass = 0; ; pass++) {
    supply.wanted = [];
    supply.last = pass === MAX_PASSES;
    const prepared = copyOf(supply.ready);
    const pacedBefore = pacedUnits();
    let result: { value: T } | undefined;
    current = supply;
    try {
      result = { value: render() };
    } catch (e) {
      if (!(e instanceof KeysNeeded)) throw e;
    } finally {
      current = undefined;
    }
    if (result && supply.wanted.length === 0) return result.value;
    // This pass's output is dropped: what it drew from the pace for other work (bcrypt, scrypt)
    // goes back, the next pass draws it again; the keys it asked for keep theirs.
    const keyUnits = supply.wanted.reduce((n, k) => n + COST[k], 0);
    refundPace(pacedUnits() - pacedBefore - keyUnits);
    const missing = [...new Set(supply.wanted)].filter((k) => !placeholders.has(k));
    const [made, fresh] = await Promise.all([
      Promise.all(missing.map(generateAsync)),
      Promise.all(supply.wanted.map(generateAsync)),
    ]);
    missing.forEach((k, i) => placeholders.set(k, made[i]!));
    supply.wanted.forEach((k, i) => {
      const list = prepared.get(k) ?? [];
      list.push(fresh[i]!);
      prepared.set(k, list);
    });
    supply.ready = prepared;
  }
}
