// Scanning a command line the way Go's flag package does: one or two dashes, `--flag value` or
// `--flag=value`, booleans as `--flag` or `--flag=false`, `--` ends the flags. What the flags
// mean is options.ts's; this file only splits argv into positionals and flag values.

/** A bad command line; the CLI prints the message and exits 2. */
export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

/** What scanning needs to know of a flag. */
export interface FlagShape {
  name: string;
  type: 'string' | 'bool' | 'list';
}

export interface Scanned {
  positionals: string[];
  /** Flag name → values in order (one per occurrence). */
  flags: Map<string, string[]>;
  help: boolean;
  version: boolean;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

function unknownFlag(name: string, flags: readonly FlagShape[]): OptionsError {
  let best: string | undefined;
  let bestDist = 3;
  for (const f of flags) {
    const d = levenshtein(name, f.name);
    if (d < bestDist) [best, bestDist] = [f.name, d];
  }
  return new OptionsError(`unknown flag --${name}${best ? ` (did you mean --${best}?)` : ''}`);
}

/** Go's strconv.ParseBool. */
export function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}

export function scan(argv: readonly string[], flags: readonly FlagShape[]): Scanned {
  const out: Scanned = { positionals: [], flags: new Map(), help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] ?? '';
    if (tok === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!tok.startsWith('-') || tok === '-') {
      out.positionals.push(tok);
      continue;
    }
    const body = tok.startsWith('--') ? tok.slice(2) : tok.slice(1);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === '' || name.startsWith('-')) throw new OptionsError(`bad flag syntax: ${tok}`);
    if ((name === 'help' || name === 'h') && inline === undefined) {
      out.help = true;
      continue;
    }
    if (name === 'version' && inline === undefined) {
      out.version = true;
      continue;
    }
    const spec = flags.find((f) => f.name === name);
    if (!spec) throw unknownFlag(name, flags);
    let value: string;
    if (spec.type === 'bool') {
      value = inline ?? 'true';
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new OptionsError(`flag needs an argument: --${name}`);
      value = next;
      i++;
    }
    const list = out.flags.get(name) ?? [];
    list.push(value);
    out.flags.set(name, list);
  }
  return out;
}
