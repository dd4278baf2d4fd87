// dataFrom[].rewrite: applied in order to the keys one dataFrom entry produced, with Go's
// regexp.ReplaceAllString semantics (ESO is written in Go, and users' manifests rely on it).

import type { Rewrite } from '../api/types.js';
import { SecretDataError } from './errors.js';

function compile(source: string): RegExp {
  try {
    // Go's (?P<name>…) is JavaScript's (?<name>…).
    return new RegExp(source.replace(/\(\?P</g, '(?<'), 'gu');
  } catch {
    throw new SecretDataError(
      'InvalidRegexp',
      `rewrite.regexp.source "${source}" is not a valid regular expression`,
    );
  }
}

/** Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a literal $; unknown groups expand to "". */
export function expandGo(template: string, m: RegExpExecArray | RegExpMatchArray): string {
  return template.replace(
    /\$(?:(\$)|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (whole, dollar?: string, braced?: string, bare?: string) => {
      if (dollar) return '$';
      const name = braced ?? bare;
      if (name === undefined) return whole;
      if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
      return m.groups?.[name] ?? '';
    },
  );
}

/** Go's ReplaceAllString: an empty match right after the previous match is skipped. */
export function replaceAllGo(input: string, re: RegExp, template: string): string {
  let out = '';
  let last = 0;
  let prevEnd = -1;
  for (const m of input.matchAll(re)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    if (m[0].length === 0 && start === prevEnd) continue;
    out += input.slice(last, start) + expandGo(template, m);
    last = end;
    prevEnd = end;
  }
  return out + input.slice(last);
}

export function applyRewrites(
  map: Record<string, Uint8Array>,
  rewrites: Rewrite[],
): Record<string, Uint8Array> {
  let cur = map;
  for (const [i, rw] of rewrites.entries()) {
    if (rw.regexp) {
      const re = compile(rw.regexp.source ?? '');
      const target = rw.regexp.target ?? '';
      const next: Record<string, Uint8Array> = {};
      for (const [k, v] of Object.entries(cur)) next[replaceAllGo(k, re, target)] = v;
      cur = next;
    } else if (rw.transform) {
      throw new SecretDataError(
        'Unsupported',
        `rewrite[${i}].transform is not supported by this Syncret version yet`,
      );
    }
  }
  return cur;
}
