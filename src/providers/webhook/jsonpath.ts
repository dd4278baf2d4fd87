// JSONPath over a parsed JSON answer, as ESO evaluates the webhook provider's and the Webhook
// generator's result.jsonPath (github.com/PaesslerAG/jsonpath): `$` and `@`, `.name`, `['name']`, `["a","b"]`, `[n]`
// (negative from the end), `[*]` and `.*`, `..` (descendants), `[start:end:step]`, and filters
// `[?(...)]` (also written `[?...]`) with `@` paths, string, number, boolean and null
// literals, == != < <= > >=, && || ! and parentheses. A path of plain names and indexes yields
// one value and fails on a missing key, as the library does; any other selector yields the
// list of matches. Paths and documents are bounded, so a store cannot make this expensive.

export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

type Selector =
  | { kind: 'names'; names: string[] }
  | { kind: 'indexes'; indexes: number[] }
  | { kind: 'wildcard' }
  | { kind: 'slice'; start?: number; end?: number; step: number }
  | { kind: 'filter'; expr: Expr };

interface Step {
  descendants: boolean;
  sel: Selector;
}

type Expr =
  | { op: 'path'; root: '@' | '$'; steps: Step[] }
  | { op: 'lit'; value: unknown }
  | { op: 'not'; a: Expr }
  | { op: 'and' | 'or' | '==' | '!=' | '<' | '<=' | '>' | '>='; a: Expr; b: Expr };

const MAX_PATH = 4096;
const MAX_MATCHES = 10_000;

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new JsonPathError(`jsonPath "${this.s}": ${what} at ${this.i}`);
  }
  ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }
  eat(t: string): boolean {
    this.ws();
    if (!this.s.startsWith(t, this.i)) return false;
    this.i += t.length;
    return true;
  }

  steps(): Step[] {
    const out: Step[] = [];
    for (;;) {
      const c = this.s[this.i];
      if (c === '.') {
        const descendants = this.s[this.i + 1] === '.';
        this.i += descendants ? 2 : 1;
        if (this.s[this.i] === '[') out.push({ descendants, sel: this.bracket() });
        else if (this.s[this.i] === '*') {
          this.i++;
          out.push({ descendants, sel: { kind: 'wildcard' } });
        } else out.push({ descendants, sel: { kind: 'names', names: [this.name()] } });
      } else if (c === '[') out.push({ descendants: false, sel: this.bracket() });
      else return out;
    }
  }

  name(): string {
    const m = /^[^.[\]()\s=!<>&|,'"]+/.exec(this.s.slice(this.i));
    if (!m) this.fail('a name is expected');
    this.i += m[0].length;
    return m[0];
  }

  bracket(): Selector {
    this.i++; // [
    this.ws();
    let sel: Selector;
    if (this.eat('*')) sel = { kind: 'wildcard' };
    else if (this.eat('?')) {
      const paren = this.eat('(');
      const expr = this.or();
      if (paren && !this.eat(')')) this.fail('")" is expected');
      sel = { kind: 'filter', expr };
    } else if (this.s[this.i] === "'" || this.s[this.i] === '"') {
      const names = [this.string()];
      while (this.eat(',')) {
        this.ws();
        names.push(this.string());
      }
      sel = { kind: 'names', names };
    } else sel = this.numbers();
    if (!this.eat(']')) this.fail('"]" is expected');
    return sel;
  }

  numbers(): Selector {
    const parts: (number | undefined)[] = [];
    let colons = 0;
    const indexes: number[] = [];
    for (;;) {
      this.ws();
      const m = /^-?\d+/.exec(this.s.slice(this.i));
      if (m) this.i += m[0].length;
      parts.push(m ? Number(m[0]) : undefined);
      if (this.eat(':')) colons++;
      else if (colons === 0 && this.eat(',')) {
        if (parts[parts.length - 1] === undefined) this.fail('an index is expected');
        indexes.push(parts.pop()!);
      } else break;
    }
    if (colons > 0) {
      if (colons > 2) this.fail('too many ":"');
      const [start, end, step = 1] = parts;
      if (step === 0) this.fail('a slice step must not be 0');
      return { kind: 'slice', start, end, step };
    }
    const last = parts[0];
    if (last === undefined) this.fail('an index, a name, * or a filter is expected');
    return { kind: 'indexes', indexes: [...indexes, last] };
  }

  string(): string {
    const q = this.s[this.i];
    let out = '';
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === '\\') this.i++;
      out += this.s[this.i++] ?? '';
    }
    if (this.s[this.i] !== q) this.fail('an unterminated string');
    this.i++;
    return out;
  }

  or(): Expr {
    let a = this.and();
    while (this.eat('||')) a = { op: 'or', a, b: this.and() };
    return a;
  }
  and(): Expr {
    let a = this.cmp();
    while (this.eat('&&')) a = { op: 'and', a, b: this.cmp() };
    return a;
  }
  cmp(): Expr {
    const a = this.unary();
    for (const op of ['==', '!=', '<=', '>=', '<', '>'] as const)
      if (this.eat(op)) return { op, a, b: this.unary() };
    return a;
  }
  unary(): Expr {
    if (this.eat('!')) return { op: 'not', a: this.unary() };
    if (this.eat('(')) {
      const e = this.or();
      if (!this.eat(')')) this.fail('")" is expected');
      return e;
    }
    this.ws();
    const c = this.s[this.i];
    if (c === '@' || c === '$') {
      this.i++;
      return { op: 'path', root: c, steps: this.steps() };
    }
    if (c === "'" || c === '"') return { op: 'lit', value: this.string() };
    const m = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null)/.exec(this.s.slice(this.i));
    if (!m) this.fail('a value is expected');
    this.i += m[0].length;
    return { op: 'lit', value: JSON.parse(m[0]) as unknown };
  }
}

export interface CompiledPath {
  /** Whether the path selects a list of matches rather than one value. */
  multi: boolean;
  steps: Step[];
}

export function compileJsonPath(path: string): CompiledPath {
  const p = path.trim();
  if (p.length > MAX_PATH) throw new JsonPathError(`jsonPath is longer than ${MAX_PATH} characters`);
  if (!p.startsWith('$')) throw new JsonPathError(`jsonPath "${path}" must start with $`);
  const parser = new Parser(p);
  parser.i = 1;
  const steps = parser.steps();
  if (parser.i !== p.length) parser.fail('unexpected text');
  const multi = steps.some(
    (s) =>
      s.descendants ||
      !(s.sel.kind === 'names' || s.sel.kind === 'indexes') ||
      ('names' in s.sel && s.sel.names.length > 1) ||
      ('indexes' in s.sel && s.sel.indexes.length > 1),
  );
  return { multi, steps };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v))
    return Object.keys(v)
      .sort()
      .map((k) => v[k]);
  return [];
}

function descendantsOf(v: unknown, out: unknown[]): void {
  out.push(v);
  if (out.length > MAX_MATCHES) throw new JsonPathError(`jsonPath selects more than ${MAX_MATCHES} values`);
  for (const c of children(v)) descendantsOf(c, out);
}

function select(v: unknown, sel: Selector, root: unknown, strict: boolean): unknown[] {
  switch (sel.kind) {
    case 'names':
      return sel.names.flatMap((n) => {
        if (isObject(v) && Object.hasOwn(v, n)) return [v[n]];
        if (strict) throw new JsonPathError(`unknown key ${n}`);
        return [];
      });
    case 'indexes':
      return sel.indexes.flatMap((i) => {
        if (Array.isArray(v)) {
          const at = i < 0 ? v.length + i : i;
          if (at >= 0 && at < v.length) return [v[at]];
        }
        if (strict) throw new JsonPathError(`index ${i} out of bounds`);
        return [];
      });
    case 'wildcard':
      return children(v);
    case 'slice': {
      if (!Array.isArray(v)) return [];
      const n = v.length;
      const norm = (x: number | undefined, d: number) =>
        x === undefined ? d : x < 0 ? Math.max(0, n + x) : Math.min(n, x);
      const out: unknown[] = [];
      if (sel.step > 0) for (let i = norm(sel.start, 0); i < norm(sel.end, n); i += sel.step) out.push(v[i]);
      else for (let i = norm(sel.start, n - 1); i > norm(sel.end, -1); i += sel.step) out.push(v[i]);
      return out;
    }
    case 'filter':
      return children(v).filter((c) => truthy(evaluate(sel.expr, c, root)));
  }
}

function run(steps: Step[], start: unknown, root: unknown, strict: boolean): unknown[] {
  let cur = [start];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      const from: unknown[] = [];
      if (s.descendants) descendantsOf(v, from);
      else from.push(v);
      for (const f of from) next.push(...select(f, s.sel, root, strict && !s.descendants));
      if (next.length > MAX_MATCHES)
        throw new JsonPathError(`jsonPath selects more than ${MAX_MATCHES} values`);
    }
    cur = next;
  }
  return cur;
}

function evaluate(e: Expr, at: unknown, root: unknown): unknown {
  switch (e.op) {
    case 'lit':
      return e.value;
    case 'path': {
      const found = run(e.steps, e.root === '@' ? at : root, root, false);
      return found.length === 0 ? undefined : found[0];
    }
    case 'not':
      return !truthy(evaluate(e.a, at, root));
    case 'and':
      return truthy(evaluate(e.a, at, root)) && truthy(evaluate(e.b, at, root));
    case 'or':
      return truthy(evaluate(e.a, at, root)) || truthy(evaluate(e.b, at, root));
    default: {
      const a = evaluate(e.a, at, root);
      const b = evaluate(e.b, at, root);
      if (e.op === '==') return same(a, b);
      if (e.op === '!=') return !same(a, b);
      if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
      const x = a as number | string;
      const y = b as number | string;
      return e.op === '<' ? x < y : e.op === '<=' ? x <= y : e.op === '>' ? x > y : x >= y;
    }
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const truthy = (v: unknown): boolean => v !== undefined && v !== null && v !== false;

/** The value at `path` (one value), or the list of matches (any selector that may match several). */
export function queryJson(path: CompiledPath, doc: unknown): unknown {
  const found = run(path.steps, doc, doc, !path.multi);
  return path.multi ? found : found[0];
}

/** The value (or list of matches) at `path` in `root`; JsonPathError when it cannot be read. */
export function evalJsonPath(path: string, root: unknown): unknown {
  return queryJson(compileJsonPath(path), root);
}
