// Go's Regexp.Expand templates, as ReplaceAllString reads its replacement: `$1`, `${1}`,
// `$name`, `${name}`; `$$` is a literal `$`; `$name` takes the longest run of letters, digits
// and '_' (so `$1x` names the group "1x", which is empty); a malformed `$` stays as it is.

/** A template compiled once: literal text, group numbers and group names. */
export type TemplatePart = string | number | { name: string };

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;
// Go reads a number only without leading zeros and below 10^9; anything else is a name.
const GROUP_NUMBER = /^(?:0|[1-9]\d{0,8})$/;

/** Go's extract(): `name` or `{name}` at t[start]. */
function readReference(t: string, start: number): { part: TemplatePart; end: number } | undefined {
  let j = start;
  const brace = t[j] === '{';
  if (brace) j++;
  const nameStart = j;
  while (j < t.length) {
    const ch = String.fromCodePoint(t.codePointAt(j)!);
    if (!NAME_CHAR.test(ch)) break;
    j += ch.length;
  }
  if (j === nameStart) return undefined;
  const name = t.slice(nameStart, j);
  if (brace) {
    if (t[j] !== '}') return undefined;
    j++;
  }
  return { part: GROUP_NUMBER.test(name) ? Number(name) : { name }, end: j };
}

export function compileTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      lit += template.slice(i);
      break;
    }
    lit += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      lit += '$';
      i++;
      continue;
    }
    const ref = readReference(template, i);
    if (!ref) {
      lit += '$';
      continue;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push(ref.part);
    i = ref.end;
  }
  if (lit) parts.push(lit);
  return parts;
}

/** Whether expanding needs the submatches (any reference), or only the whole match. */
export function hasReferences(parts: readonly TemplatePart[]): boolean {
  return parts.some((p) => typeof p !== 'string');
}

/** The template with the match's groups filled in; an unknown or unset group is empty. */
export function expand(
  parts: readonly TemplatePart[],
  input: string,
  m: readonly number[],
  names: readonly string[],
): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const g = typeof p === 'number' ? p : names.indexOf(p.name);
    const start = g >= 0 ? (m[2 * g] ?? -1) : -1;
    if (start >= 0) out += input.slice(start, m[2 * g + 1]);
  }
  return out;
}
