// The evaluator: walks the AST the way text/template's exec.go does, including its
// argument typing rules (literals adapt to the parameter type, other values must already
// have it), lazy and/or, variable scoping and Go's error wording. Every step draws from a
// TemplateBudget (limits.ts), so no template can hold the event loop.

import { PaceExceeded, TemplateError, locate } from './errors.js';
import type { TemplateErrorReason } from './errors.js';
import { KeysNeeded } from './keys.js';
import { LimitExceeded } from './limits.js';
import type { TemplateBudget } from './limits.js';
import type { Arg, Command, ControlNode, Node, Pipe } from './parse.js';
import { argString, commandString, pipeString } from './parse.js';
import {
  Float,
  GoObject,
  formatValue,
  isMap,
  isStringMap,
  isTrue,
  mapGet,
  sortedKeys,
  typeName,
} from './value.js';
import type { GoMethod } from './value.js';
import { cpuMs } from './cputime.js';

/** How a function parameter accepts values, after Go's reflect-based rules. */
export type Kind = 'any' | 'string' | 'int' | 'float' | 'bool';

export interface FuncDef {
  fn: (...args: unknown[]) => unknown;
  params: Kind[];
  /** Kind of the trailing variadic parameter, if any. */
  variadic?: Kind;
  /** Steps the call will take, judged from its arguments before it runs (limits.ts). */
  cost?: (...args: unknown[]) => number;
}

export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecContext {
  name: string;
  text: string;
  templates: Map<string, Node[]>;
  funcs: Map<string, FuncDef>;
  /** Names whose and/or semantics are Go's built-in ones (not overridden). */
  lazyBuiltins: Set<string>;
  missingKey: MissingKey;
  budget: TemplateBudget;
}

// Go allows 100000 nested template calls; JS stacks are far shallower.
const MAX_DEPTH = 1000;

const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

type Signal = 'break' | 'continue' | undefined;

// What an error points at; rendered to text only when an error is raised.
type Source = Arg | Command | Pipe | string;

const KIND_NAMES: Record<Kind, string> = {
  any: 'interface {}',
  string: 'string',
  int: 'int',
  float: 'float64',
  bool: 'bool',
};

export function execute(ctx: ExecContext, data: unknown): string {
  const st = new State(ctx, ctx.name, 0);
  st.vars.push({ name: '$', value: data });
  const list = ctx.templates.get('');
  if (!list)
    throw new TemplateError('TemplateExec', ctx.name, 1, 0, `template: ${ctx.name}: no main template`);
  st.walkList(data, list);
  return st.out.join('');
}

class State {
  out: string[] = [];
  vars: { name: string; value: unknown }[] = [];
  private nodePos = -1;
  private nodeSrc: Source = '';
  /** The dot of the command being evaluated: a method's arguments are evaluated against it. */
  private cmdDot: unknown = undefined;

  constructor(
    private readonly ctx: ExecContext,
    private readonly tmplName: string,
    private readonly depth: number,
  ) {}

  private at(pos: number, src: Source): void {
    this.nodePos = pos;
    this.nodeSrc = src;
  }

  /** Go's "error calling NAME: ..."; a keys.ts pass stop and a pace refusal keep their kind. */
  private callFailed(name: string, e: unknown, cmd?: Command | Arg): never {
    if (e instanceof TemplateError || e instanceof KeysNeeded) throw e;
    if (cmd) this.at(cmd.pos, cmd);
    const why = `error calling ${name}: ${e instanceof Error ? e.message : String(e)}`;
    return this.errorf(why, e instanceof PaceExceeded ? 'TemplatePaced' : 'TemplateExec');
  }

  private errorf(msg: string, reason: TemplateErrorReason = 'TemplateExec'): never {
    const { name } = this.ctx;
    if (this.nodePos < 0) {
      throw new TemplateError(reason, name, 1, 0, `template: ${this.tmplName}: ${msg}`);
    }
    const { line, column } = locate(this.ctx.text, this.nodePos);
    const text = sourceString(this.nodeSrc);
    const context = text.length > 20 ? text.slice(0, 20) + '...' : text;
    throw new TemplateError(
      reason,
      name,
      line,
      column,
      `template: ${name}:${line}:${column}: executing ${JSON.stringify(this.tmplName)} at <${context}>: ${msg}`,
    );
  }

  // ---- the budget: a limit that runs out is an error at the node that ran it out ----

  /** Draws from the budget; a limit that runs out becomes a TemplateError here. */
  private spend(what: 'steps' | 'output' | 'argument' | 'value', x: unknown): void {
    const b = this.ctx.budget;
    try {
      if (what === 'steps') b.step(x as number);
      else if (what === 'output') b.write((x as string).length);
      else if (what === 'argument') b.argument(x);
      else b.value(x);
    } catch (e) {
      if (e instanceof LimitExceeded) this.errorf(e.message, 'TemplateLimit');
      throw e;
    }
  }

  private step(n = 1): void {
    this.spend('steps', n);
  }

  private emit(text: string): void {
    this.spend('output', text);
    this.out.push(text);
  }

  // ---- statements ----

  walkList(dot: unknown, list: Node[]): Signal {
    for (const node of list) {
      const sig = this.walk(dot, node);
      if (sig) return sig;
    }
    return undefined;
  }

  private walk(dot: unknown, node: Node): Signal {
    this.step();
    switch (node.t) {
      case 'text':
        this.emit(node.text);
        return undefined;
      case 'action': {
        this.at(node.pos, node.pipe);
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.emit(this.printable(val));
        return undefined;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        try {
          const val = this.evalPipeline(dot, node.pipe);
          if (isTrue(val)) return this.walkList(node.t === 'with' ? val : dot, node.list);
          if (node.elseList) return this.walkList(dot, node.elseList);
          return undefined;
        } finally {
          this.vars.length = mark;
        }
      }
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'break':
      case 'continue':
        return node.t;
    }
  }

  private walkRange(dot: unknown, node: ControlNode): Signal {
    this.at(node.pos, node.pipe);
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const decl = node.pipe.decl;
      const one = (index: unknown, elem: unknown): Signal => {
        if (decl.length > 0) {
          if (node.pipe.isAssign) this.setVar(decl[0] ?? '', decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (node.pipe.isAssign) this.setVar(decl[1] ?? '', elem);
          else this.setTopVar(2, index);
        }
        const inner = this.vars.length;
        try {
          return this.walkList(elem, node.list);
        } finally {
          this.vars.length = inner;
        }
      };
      let ran = false;
      const loop = (entries: Iterable<[unknown, unknown]>): void => {
        for (const [k, v] of entries) {
          ran = true;
          this.step();
          if (one(k, v) === 'break') break;
        }
      };
      if (Array.isArray(val) || val instanceof Uint8Array) {
        // Lazily, so a range cut short by the budget never copies a huge list first.
        const items = val as ArrayLike<unknown>;
        const n = items.length;
        const pairs = function* (): Generator<[unknown, unknown]> {
          for (let i = 0; i < n; i++) yield [i, items[i]];
        };
        loop(pairs());
      } else if (isMap(val)) {
        loop(sortedKeys(val).map((k): [unknown, unknown] => [k, val[k]]));
      } else if (typeof val === 'number' && Number.isInteger(val)) {
        if (decl.length > 1)
          this.errorf(`can't use value of type ${typeName(val)} to iterate over more than one variable`);
        const ints = function* (): Generator<[unknown, unknown]> {
          for (let i = 0; i < val; i++) yield [i, i];
        };
        loop(ints());
      } else if (val !== undefined && val !== null) {
        this.at(node.pos, node.pipe);
        this.errorf(`range can't iterate over value of type ${typeName(val)}`);
      }
      if (!ran && node.elseList) return this.walkList(dot, node.elseList);
      return undefined;
    } finally {
      this.vars.length = mark;
    }
  }

  private walkTemplate(dot: unknown, node: Extract<Node, { t: 'template' }>): Signal {
    this.at(node.pos, `template ${JSON.stringify(node.name)}`);
    const list = this.ctx.templates.get(node.name);
    if (!list || node.name === '') this.errorf(`template ${JSON.stringify(node.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
    const st = new State(this.ctx, node.name, this.depth + 1);
    st.out = this.out;
    st.vars.push({ name: '$', value: newDot });
    st.walkList(newDot, list);
    return undefined;
  }

  private printable(v: unknown): string {
    // Go unwraps a nil interface{} result to an invalid value, so nil prints like a missing key.
    if (v === undefined || v === null) return '<no value>';
    if (typeof v === 'function') this.errorf(`can't print value of type ${typeName(v)}`);
    return formatValue(v);
  }

  // ---- variables ----

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v && v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v && v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // ---- expressions ----

  private evalPipeline(dot: unknown, pipe: Pipe): unknown {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    const first = cmd.args[0];
    if (!first) return this.errorf('empty command');
    this.cmdDot = dot;
    switch (first.t) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'ident':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first.pipe);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
      default:
        break;
    }
    this.at(first.pos, first);
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return idealConstant(first);
      case 'string':
        return first.value;
    }
  }

  private notAFunction(args: Arg[], final: Final): void {
    const first = args[0];
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${first ? argString(first) : ''}`);
    }
  }

  private evalFieldNode(
    dot: unknown,
    field: Extract<Arg, { t: 'field' }>,
    args: Arg[],
    final: Final,
  ): unknown {
    this.at(field.pos, field);
    return this.evalFieldChain(dot, field.idents, args, final);
  }

  private evalChainNode(
    dot: unknown,
    chain: Extract<Arg, { t: 'chain' }>,
    args: Arg[],
    final: Final,
  ): unknown {
    this.at(chain.pos, chain);
    if (chain.node.t === 'nil') this.errorf(`indirection through explicit nil in ${argString(chain)}`);
    const recv = this.evalArgRaw(dot, chain.node);
    this.at(chain.pos, chain);
    return this.evalFieldChain(recv, chain.fields, args, final);
  }

  private evalVariableNode(
    dot: unknown,
    v: Extract<Arg, { t: 'variable' }>,
    args: Arg[],
    final: Final,
  ): unknown {
    this.at(v.pos, v);
    const value = this.varValue(v.idents[0] ?? '$');
    if (v.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(value, v.idents.slice(1), args, final);
  }

  private evalFieldChain(receiver: unknown, idents: string[], args: Arg[], final: Final): unknown {
    const n = idents.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(idents[i] ?? '', [], MISSING, receiver);
    return this.evalField(idents[n - 1] ?? '', args, final, receiver);
  }

  private evalField(name: string, args: Arg[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) {
      if (this.ctx.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (isMap(receiver)) {
      if (args.length > 1 || final !== MISSING) this.errorf(`${name} is not a method but has arguments`);
      const { ok, value } = mapGet(receiver, name);
      if (ok) return value;
      switch (this.ctx.missingKey) {
        case 'error':
          return this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
        case 'zero':
          return isStringMap(receiver) ? '' : undefined;
        default:
          return undefined;
      }
    }
    if (receiver === null) return this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof GoObject) {
      const method = receiver.method(name);
      if (method) return this.callMethod(name, method, args.slice(1), final);
      const field = receiver.field(name);
      if (field.ok) {
        if (args.length > 1 || final !== MISSING)
          this.errorf(`${name} has arguments but cannot be invoked as function`);
        return field.value;
      }
    }
    return this.errorf(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  /** A method of a Go value (time.Time's Format, a semver's Major): Go's arity and argument rules. */
  private callMethod(name: string, m: GoMethod, argNodes: Arg[], final: Final): unknown {
    const dot = this.cmdDot;
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    const want = m.params.length;
    if (m.variadic ? numIn < want : numIn !== want) {
      this.errorf(
        `wrong number of args for ${name}: want ${m.variadic ? 'at least ' : ''}${want} got ${numIn}`,
      );
    }
    const kind = (i: number): Kind => m.params[i] ?? m.variadic ?? 'any';
    const argv = argNodes.map((node, i) => this.evalArg(dot, kind(i), node));
    if (final !== MISSING) argv.push(this.coerce(final, kind(argNodes.length)));
    try {
      return m.fn(...argv);
    } catch (e) {
      return this.callFailed(name, e);
    }
  }

  private evalFunction(
    dot: unknown,
    ident: Extract<Arg, { t: 'ident' }>,
    cmd: Command | Arg,
    args: Arg[],
    final: Final,
  ): unknown {
    this.at(ident.pos, ident.name);
    const name = ident.name;
    const def = this.ctx.funcs.get(name);
    if (!def) return this.errorf(`${JSON.stringify(name)} is not a defined function`);
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    if (def.variadic) {
      if (numIn < def.params.length) {
        this.errorf(`wrong number of args for ${name}: want at least ${def.params.length} got ${numIn}`);
      }
    } else if (numIn !== def.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${def.params.length} got ${numIn}`);
    }
    const kindAt = (i: number): Kind => def.params[i] ?? def.variadic ?? 'any';

    if (this.ctx.lazyBuiltins.has(name)) {
      // and/or evaluate left to right and stop at the deciding operand, returning it.
      const wantTruth = name === 'or';
      let v: unknown = undefined;
      for (const node of argNodes) {
        v = this.evalArg(dot, 'any', node);
        if (isTrue(v) === wantTruth) return v;
      }
      if (final !== MISSING) v = this.coerce(final, 'any');
      return v;
    }

    const argv: unknown[] = argNodes.map((node, i) => this.evalArg(dot, kindAt(i), node));
    if (final !== MISSING) {
      this.at(ident.pos, cmd);
      argv.push(this.coerce(final, kindAt(argNodes.length)));
    }
    // A declared cost is the call's worst case: reserved before it runs (so a call that could
    // overrun the budget never starts), then settled at what the call really took.
    const reserved = Math.floor(def.cost?.(...argv) ?? 0);
    this.chargeCall(cmd, () => {
      this.step(1 + reserved);
      for (const a of argv) this.spend('argument', a);
    });
    const started = reserved > 0 ? cpuMs() : 0;
    let result: unknown;
    try {
      result = def.fn(...argv);
    } catch (e) {
      return this.callFailed(name, e, cmd);
    }
    if (reserved > 0) this.ctx.budget.settle(reserved, cpuMs() - started);
    this.chargeCall(cmd, () => this.spend('value', result));
    return result;
  }

  /** Charges for a call; a limit it runs out points at the call, other errors where they did. */
  private chargeCall(cmd: Command | Arg, charge: () => void): void {
    const [pos, src] = [this.nodePos, this.nodeSrc];
    this.at(cmd.pos, cmd);
    charge();
    this.at(pos, src);
  }

  /** An argument with no parameter type (a chain receiver). */
  private evalArgRaw(dot: unknown, node: Arg): unknown {
    switch (node.t) {
      case 'pipe':
        return this.evalPipeline(dot, node.pipe);
      case 'ident':
        return this.evalFunction(dot, node, node, [node], MISSING);
      default:
        return this.evalArg(dot, 'any', node);
    }
  }

  private evalArg(dot: unknown, kind: Kind, node: Arg): unknown {
    this.at(node.pos, node);
    switch (node.t) {
      case 'dot':
        return this.coerce(dot, kind);
      case 'nil':
        if (kind !== 'any') this.errorf(`cannot assign nil to ${KIND_NAMES[kind]}`);
        return null;
      case 'field':
        return this.coerce(this.evalFieldNode(dot, node, [node], MISSING), kind);
      case 'variable':
        return this.coerce(this.evalVariableNode(dot, node, [], MISSING), kind);
      case 'pipe': {
        const v = this.evalPipeline(dot, node.pipe);
        this.at(node.pos, node);
        return this.coerce(v, kind);
      }
      case 'ident': {
        const v = this.evalFunction(dot, node, node, [node], MISSING);
        this.at(node.pos, node);
        return this.coerce(v, kind);
      }
      case 'chain':
        return this.coerce(this.evalChainNode(dot, node, [], MISSING), kind);
      default:
        break;
    }
    // Literals are untyped constants that take the parameter's type.
    switch (kind) {
      case 'any':
        if (node.t === 'number') return idealConstant(node);
        return node.value;
      case 'string':
        if (node.t === 'string') return node.value;
        return this.errorf(`expected string; found ${argString(node)}`);
      case 'bool':
        if (node.t === 'bool') return node.value;
        return this.errorf(`expected bool; found ${argString(node)}`);
      case 'int':
        if (node.t === 'number' && node.isInt) return node.value;
        return this.errorf(`expected integer; found ${argString(node)}`);
      case 'float':
        if (node.t === 'number') return new Float(node.value);
        return this.errorf(`expected float; found ${argString(node)}`);
    }
  }

  private coerce(v: unknown, kind: Kind): unknown {
    if (kind === 'any') return v === undefined ? null : v;
    if (v === undefined || v === null) this.errorf(`invalid value; expected ${KIND_NAMES[kind]}`);
    const ok =
      kind === 'string'
        ? typeof v === 'string'
        : kind === 'bool'
          ? typeof v === 'boolean'
          : kind === 'int'
            ? typeof v === 'number' && Number.isInteger(v)
            : typeof v === 'number' || v instanceof Float;
    if (!ok) this.errorf(`wrong type for value; expected ${KIND_NAMES[kind]}; got ${typeName(v)}`);
    if (kind === 'float' && typeof v === 'number') return new Float(v);
    return v;
  }
}

function sourceString(src: Source): string {
  if (typeof src === 'string') return src;
  if ('cmds' in src) return pipeString(src);
  if ('args' in src) return commandString(src);
  return argString(src);
}

function idealConstant(n: Extract<Arg, { t: 'number' }>): unknown {
  return n.isFloatConst ? new Float(n.value) : n.value;
}
