// dataFrom[].rewrite, applied in order to the keys one dataFrom entry produced. ESO is written
// in Go and users copy its manifests, so patterns are Go (RE2) regexps and targets follow
// Go's Regexp.ReplaceAllString: both come from src/regexp/, on a linear-time engine.

import type { Rewrite } from '../api/types.js';
import { MatchMeter, RegexpSyntaxError, compileRegexp, compileTemplate } from '../regexp/index.js';
import type { GoRegexp } from '../regexp/index.js';
import { SecretDataError } from './errors.js';
import { mergeRewrite } from './merge.js';

/**
 * A rewrite's Go regexp (cached by the engine module: the same patterns come back every
 * refresh). Throws SecretDataError InvalidRegexp with Go's message, as ESO's
 * "regexp failed with failed to compile: ..." does.
 */
export function compileGoRegexp(source: string, what = 'regexp'): GoRegexp {
  try {
    return compileRegexp(source);
  } catch (e) {
    if (e instanceof RegexpSyntaxError) throw new SecretDataError('InvalidRegexp', `${what}: ${e.message}`);
    throw e;
  }
}

// ---- rewrite[] ----

export interface RewriteOptions {
  /**
   * Renders `rewrite[].transform.template` for one key (ESO passes the key as `.value`).
   * Without it a transform is rejected as Unsupported.
   */
  transform?: (template: string, key: string) => string;
  /** The spec entry for messages, e.g. `dataFrom[1]`. */
  where?: string;
}

/** The rewrites that rename keys; merge (ExternalSecret only) combines values instead. */
type KeyRewrite = Pick<Rewrite, 'regexp' | 'transform'>;

const whereOf = (opts: RewriteOptions, i: number) => `${opts.where ? `${opts.where}.` : ''}rewrite[${i}]`;

/** How one regexp or transform rewrite renames a key; undefined for a rewrite ESO does not know. */
function renamer(rw: KeyRewrite, where: string, opts: RewriteOptions): ((key: string) => string) | undefined {
  if (rw.regexp) {
    const field = `${where}.regexp.source`;
    const re = compileGoRegexp(rw.regexp.source ?? '', field);
    const parts = compileTemplate(rw.regexp.target ?? '');
    const meter = new MatchMeter((keys, ms) => {
      throw new SecretDataError(
        'InvalidRegexp',
        `${field}: rewriting ${keys} keys took over ${ms} ms (the operator's limit): use a simpler pattern`,
      );
    });
    return (key) => meter.time(() => re.replaceAllString(key, parts));
  }
  if (rw.transform) {
    const render = opts.transform;
    if (!render) {
      throw new SecretDataError(
        'Unsupported',
        `${where}.transform is not supported by this Syncret version yet`,
      );
    }
    const template = rw.transform.template ?? '';
    return (key) => render(template, key);
  }
  return undefined; // ESO leaves the map alone for a rewrite it does not recognise
}

function renameAll<T>(cur: Record<string, T>, rename: (key: string) => string): Record<string, T> {
  // Two keys rewritten to the same name: the later one wins (ESO's is map-order dependent).
  const next = Object.create(null) as Record<string, T>;
  for (const k of Object.keys(cur)) next[rename(k)] = cur[k]!;
  return next;
}

export function applyRewrites(
  map: Record<string, Uint8Array>,
  rewrites: readonly Rewrite[],
  opts: RewriteOptions = {},
): Record<string, Uint8Array> {
  let cur = map;
  for (const [i, rw] of rewrites.entries()) {
    const where = whereOf(opts, i);
    // ESO's order of precedence, should an object carry more than one (the CRD allows one).
    if (rw.merge) {
      cur = mergeRewrite(cur, rw.merge, where);
      continue;
    }
    const rename = renamer(rw, where, opts);
    if (rename) cur = renameAll(cur, rename);
  }
  return cur;
}

/** PushSecret dataTo[].rewrite: renames only (ESO's PushSecretRewrite has no merge), over any map. */
export function renameKeys<T>(
  map: Record<string, T>,
  rewrites: readonly KeyRewrite[],
  opts: RewriteOptions = {},
): Record<string, T> {
  let cur = map;
  for (const [i, rw] of rewrites.entries()) {
    const rename = renamer(rw, whereOf(opts, i), opts);
    if (rename) cur = renameAll(cur, rename);
  }
  return cur;
}
