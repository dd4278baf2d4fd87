// The part of JSONPath the Webhook generator's result.jsonPath needs: a path from the root to
// one value ($, $.a.b, $['a b'], $.items[0], $.items[-1]). ESO evaluates the full language
// (PaesslerAG/jsonpath), but its answer must be one object or a JSON string of one, which
// wildcards, filters and slices (lists of matches) never are; such paths fail with a message.

export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

type Step = { key: string } | { index: number };

export function parseJsonPath(path: string): Step[] {
  const p = path.trim();
  if (!p.startsWith('$')) throw new JsonPathError(`"${path}" must start with $`);
  const steps: Step[] = [];
  let i = 1;
  while (i < p.length) {
    const c = p[i];
    if (c === '.') {
      if (p[i + 1] === '.' || p[i + 1] === '*')
        throw new JsonPathError(`"${path}": wildcards and .. select lists, not one value`);
      const m = /^[^.[\]]+/.exec(p.slice(i + 1));
      if (!m) throw new JsonPathError(`"${path}": a name must follow "." at ${i}`);
      steps.push({ key: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = p.slice(i);
      const quoted = /^\[\s*(['"])((?:\\.|(?!\1).)*)\1\s*\]/.exec(rest);
      const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
      if (quoted) {
        steps.push({ key: quoted[2]!.replace(/\\(.)/g, '$1') });
        i += quoted[0].length;
      } else if (index) {
        steps.push({ index: Number(index[1]) });
        i += index[0].length;
      } else {
        throw new JsonPathError(`"${path}": only ['name'] and [index] are supported in brackets`);
      }
    } else {
      throw new JsonPathError(`"${path}": unexpected "${c}" at ${i}`);
    }
  }
  return steps;
}

/** The value at `path`; a missing key or index fails (as PaesslerAG's "unknown key"). */
export function evalJsonPath(path: string, root: unknown): unknown {
  let cur = root;
  for (const s of parseJsonPath(path)) {
    if ('key' in s) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, s.key))
        throw new JsonPathError(`unknown key ${s.key}`);
      cur = (cur as Record<string, unknown>)[s.key];
    } else {
      if (!Array.isArray(cur)) throw new JsonPathError(`index ${s.index} of a value that is not a list`);
      const at = s.index < 0 ? cur.length + s.index : s.index;
      if (at < 0 || at >= cur.length) throw new JsonPathError(`index ${s.index} out of range`);
      cur = cur[at];
    }
  }
  return cur;
}
