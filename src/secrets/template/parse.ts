// Recursive-descent parser for Go text/template, producing a small AST. It mirrors
// text/template/parse: the same grammar, the same parse-time checks (undefined variables
// and functions, break outside range, misplaced define) and the same error wording.

import { LexError, lex } from './lex.js';
import type { Token, TokType } from './lex.js';

export type Arg =
  | { t: 'field'; pos: number; idents: string[] }
  | { t: 'variable'; pos: number; idents: string[] }
  | { t: 'dot'; pos: number }
  | { t: 'nil'; pos: number }
  | { t: 'bool'; pos: number; value: boolean }
  | { t: 'number'; pos: number; text: string; value: number; isInt: boolean; isFloatConst: boolean }
  | { t: 'string'; pos: number; text: string; value: string }
  | { t: 'ident'; pos: number; name: string }
  | { t: 'pipe'; pos: number; pipe: Pipe }
  | { t: 'chain'; pos: number; node: Arg; fields: string[] };

export interface Command {
  pos: number;
  args: Arg[];
}

export interface Pipe {
  pos: number;
  isAssign: boolean;
  decl: string[];
  cmds: Command[];
}

export interface ControlNode {
  t: 'if' | 'with' | 'range';
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

export type Node =
  | { t: 'text'; pos: number; text: string }
  | { t: 'action'; pos: number; pipe: Pipe }
  | ControlNode
  | { t: 'template'; pos: number; name: string; pipe: Pipe | null }
  | { t: 'break' | 'continue'; pos: number };

export class ParseError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses `text`; returns the main list and the templates it defines. */
export function parse(text: string, isFunc: (name: string) => boolean): Map<string, Node[]> {
  let toks: Token[];
  try {
    toks = lex(text);
  } catch (e) {
    if (e instanceof LexError) throw new ParseError(e.pos, e.message);
    throw e;
  }
  return new Parser(toks, isFunc).parse();
}

type End = { kind: 'end' | 'else'; pos: number };

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private readonly defs = new Map<string, Node[]>();

  constructor(
    private readonly toks: Token[],
    private readonly isFunc: (name: string) => boolean,
  ) {}

  parse(): Map<string, Node[]> {
    const main: Node[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.type === 'eof') break;
      if (tok.type === 'left') {
        const save = this.i;
        this.next();
        const kw = this.peekNonSpace();
        if (kw.type === 'keyword' && kw.val === 'define') {
          this.nextNonSpace();
          this.parseDefinition(kw.pos, 'define');
          continue;
        }
        this.i = save;
      }
      const node = this.textOrAction();
      if ('kind' in node) this.fail(node.pos, `unexpected {{${node.kind}}}`);
      main.push(node);
    }
    this.addDef('', main, 0);
    return this.defs;
  }

  // ---- token helpers ----
  private next(): Token {
    const tok = this.toks[this.i] ?? this.toks[this.toks.length - 1];
    if (!tok) throw new ParseError(0, 'empty token stream');
    if (tok.type !== 'eof') this.i++;
    return tok;
  }
  private peek(): Token {
    const tok = this.toks[this.i] ?? this.toks[this.toks.length - 1];
    if (!tok) throw new ParseError(0, 'empty token stream');
    return tok;
  }
  private nextNonSpace(): Token {
    let tok = this.next();
    while (tok.type === 'space') tok = this.next();
    return tok;
  }
  private peekNonSpace(): Token {
    const tok = this.nextNonSpace();
    this.backup(tok);
    return tok;
  }
  private backup(tok: Token): void {
    if (tok.type !== 'eof') this.i--;
  }
  private expect(type: TokType, context: string): Token {
    const tok = this.nextNonSpace();
    if (tok.type !== type) this.unexpected(tok, context);
    return tok;
  }
  private fail(pos: number, msg: string): never {
    throw new ParseError(pos, msg);
  }
  private unexpected(tok: Token, context: string): never {
    if (tok.type === 'eof') this.fail(tok.pos, `unexpected EOF in ${context}`);
    const shown = tok.type === 'right' ? '"}}"' : tok.type === 'space' ? 'space' : JSON.stringify(tok.val);
    this.fail(tok.pos, `unexpected ${shown} in ${context}`);
  }

  private addDef(name: string, list: Node[], pos: number): void {
    const prev = this.defs.get(name);
    // Go allows replacing an empty definition; two non-empty ones in one parse clash.
    if (prev && !isEmptyList(prev) && !isEmptyList(list)) {
      this.fail(pos, `template: multiple definition of template ${JSON.stringify(name)}`);
    }
    if (!prev || !isEmptyList(list)) this.defs.set(name, list);
  }

  private parseDefinition(pos: number, context: string): string {
    const nameTok = this.nextNonSpace();
    if (nameTok.type !== 'string' && nameTok.type !== 'rawString') this.unexpected(nameTok, context);
    const name = unquote(nameTok);
    this.expect('right', context);
    const saveVars = this.vars;
    const saveDepth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.fail(end.pos, `unexpected {{${end.kind}}} in ${context}`);
    this.vars = saveVars;
    this.rangeDepth = saveDepth;
    this.addDef(name, list, pos);
    return name;
  }

  /** Nodes up to a matching {{end}} or {{else}}. */
  private itemList(): { list: Node[]; end: End } {
    const list: Node[] = [];
    for (;;) {
      const tok = this.peekNonSpace();
      if (tok.type === 'eof') this.fail(tok.pos, 'unexpected EOF');
      const node = this.textOrAction();
      if ('kind' in node) return { list, end: node };
      list.push(node);
    }
  }

  private textOrAction(): Node | End {
    const tok = this.nextNonSpace();
    if (tok.type === 'text') return { t: 'text', pos: tok.pos, text: tok.val };
    if (tok.type === 'left') return this.action();
    return this.unexpected(tok, 'input');
  }

  private action(): Node | End {
    const tok = this.nextNonSpace();
    if (tok.type === 'keyword') {
      switch (tok.val) {
        case 'block':
          return this.blockControl(tok.pos);
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.fail(tok.pos, `{{${tok.val}}} outside {{range}}`);
          this.expect('right', `{{${tok.val}}}`);
          return { t: tok.val, pos: tok.pos };
        case 'else':
          return this.elseControl(tok.pos);
        case 'end':
          this.expect('right', 'end');
          return { kind: 'end', pos: tok.pos };
        case 'if':
        case 'with':
          return this.control(tok.val, tok.pos);
        case 'range':
          this.rangeDepth++;
          try {
            return this.control('range', tok.pos);
          } finally {
            this.rangeDepth--;
          }
        case 'template':
          return this.templateControl(tok.pos);
        case 'define':
          this.fail(tok.pos, 'unexpected <define> in command');
      }
    }
    this.backup(tok);
    return { t: 'action', pos: tok.pos, pipe: this.pipeline('command', 'right') };
  }

  // "else if"/"else with" leave the keyword pending so control() can nest it.
  private elseControl(pos: number): End {
    const tok = this.peekNonSpace();
    if (tok.type === 'keyword' && (tok.val === 'if' || tok.val === 'with')) return { kind: 'else', pos };
    this.expect('right', 'else');
    return { kind: 'else', pos };
  }

  private control(context: 'if' | 'with' | 'range', pos: number): Node {
    const nvars = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'right');
      const { list, end } = this.itemList();
      let elseList: Node[] | null = null;
      if (end.kind === 'else') {
        const tok = this.peek();
        if (context !== 'range' && tok.type === 'keyword' && tok.val === context) {
          this.next();
          elseList = [this.control(context, tok.pos)];
        } else if (tok.type === 'keyword' && (tok.val === 'if' || tok.val === 'with')) {
          this.fail(tok.pos, `unexpected "${tok.val}" in else`);
        } else {
          const rest = this.itemList();
          if (rest.end.kind !== 'end') this.fail(rest.end.pos, 'expected end; found {{else}}');
          elseList = rest.list;
        }
      }
      return { t: context, pos, pipe, list, elseList };
    } finally {
      this.vars.length = nvars;
    }
  }

  private templateControl(pos: number): Node {
    const context = 'template clause';
    const tok = this.nextNonSpace();
    if (tok.type !== 'string' && tok.type !== 'rawString') this.unexpected(tok, context);
    const name = unquote(tok);
    let pipe: Pipe | null = null;
    if (this.nextNonSpace().type !== 'right') {
      this.i--;
      pipe = this.pipeline(context, 'right');
    }
    return { t: 'template', pos, name, pipe };
  }

  private blockControl(pos: number): Node {
    const context = 'block clause';
    const tok = this.nextNonSpace();
    if (tok.type !== 'string' && tok.type !== 'rawString') this.unexpected(tok, context);
    const name = unquote(tok);
    const pipe = this.pipeline(context, 'right');
    const saveVars = this.vars;
    const saveDepth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.fail(end.pos, `unexpected {{else}} in ${context}`);
    this.vars = saveVars;
    this.rangeDepth = saveDepth;
    this.addDef(name, list, pos);
    return { t: 'template', pos, name, pipe };
  }

  private pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { pos: start.pos, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const tok = this.nextNonSpace();
      if (tok.type === end) {
        this.checkPipeline(pipe, context, tok);
        return pipe;
      }
      switch (tok.type) {
        case 'bool':
        case 'char':
        case 'dot':
        case 'field':
        case 'ident':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'lparen':
          this.backup(tok);
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(tok, context);
      }
    }
  }

  private declarations(pipe: Pipe, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const save = this.i;
      this.next();
      const next = this.peekNonSpace();
      if (next.type === 'declare' || next.type === 'assign') {
        this.nextNonSpace();
        pipe.isAssign = next.type === 'assign';
        pipe.decl.push(v.val);
        if (pipe.isAssign) this.useVar(v);
        else this.vars.push(v.val);
        return;
      }
      if (next.type === 'comma') {
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace();
          if (after.type === 'variable' || after.type === 'right' || after.type === 'rparen') continue;
          this.fail(after.pos, 'range can only initialize variables');
        }
        this.fail(next.pos, `too many declarations in ${context}`);
      }
      this.i = save;
      return;
    }
  }

  private checkPipeline(pipe: Pipe, context: string, tok: Token): void {
    if (pipe.cmds.length === 0) this.fail(tok.pos, `missing value for ${context}`);
    pipe.cmds.forEach((cmd, i) => {
      const first = cmd.args[0];
      if (i > 0 && first) {
        if (['bool', 'dot', 'nil', 'number', 'string'].includes(first.t)) {
          this.fail(first.pos, `non executable command in pipeline stage ${i + 1}`);
        }
      }
    });
  }

  private command(): Command {
    const cmd: Command = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const tok = this.next();
      if (tok.type === 'space') continue;
      if (tok.type === 'right' || tok.type === 'rparen') {
        this.backup(tok);
      } else if (tok.type !== 'pipe') {
        this.unexpected(tok, 'operand');
      }
      break;
    }
    if (cmd.args.length === 0) this.fail(cmd.pos, 'empty command');
    return cmd;
  }

  private operand(): Arg | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().type !== 'field') return node;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.t) {
      case 'field':
        return { t: 'field', pos: node.pos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { t: 'variable', pos: node.pos, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.fail(node.pos, `unexpected . after term ${JSON.stringify(argString(node))}`);
      default:
        return { t: 'chain', pos: node.pos, node, fields };
    }
  }

  private term(): Arg | null {
    const tok = this.nextNonSpace();
    switch (tok.type) {
      case 'ident':
        if (!this.isFunc(tok.val)) this.fail(tok.pos, `function ${JSON.stringify(tok.val)} not defined`);
        return { t: 'ident', pos: tok.pos, name: tok.val };
      case 'dot':
        return { t: 'dot', pos: tok.pos };
      case 'nil':
        return { t: 'nil', pos: tok.pos };
      case 'variable':
        this.useVar(tok);
        return { t: 'variable', pos: tok.pos, idents: [tok.val] };
      case 'field':
        return { t: 'field', pos: tok.pos, idents: [tok.val.slice(1)] };
      case 'bool':
        return { t: 'bool', pos: tok.pos, value: tok.val === 'true' };
      case 'char':
      case 'number':
        return numberNode(tok);
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        return { t: 'pipe', pos: tok.pos, pipe };
      }
      case 'string':
      case 'rawString':
        return { t: 'string', pos: tok.pos, text: tok.val, value: unquote(tok) };
      default:
        this.backup(tok);
        return null;
    }
  }

  private useVar(tok: Token): void {
    const name = tok.val;
    if (!this.vars.includes(name)) this.fail(tok.pos, `undefined variable ${JSON.stringify(name)}`);
  }
}

function isEmptyList(list: Node[]): boolean {
  return list.every((n) => n.t === 'text' && n.text.trim() === '');
}

function numberNode(tok: Token): Arg {
  const text = tok.val;
  const bad = (): never => {
    throw new ParseError(tok.pos, `illegal number syntax: ${JSON.stringify(text)}`);
  };
  if (tok.type === 'char') {
    const s = unquoteString(text.slice(1, -1), "'", tok.pos);
    const cps = Array.from(s);
    if (cps.length !== 1) bad();
    return {
      t: 'number',
      pos: tok.pos,
      text,
      value: s.codePointAt(0) ?? 0,
      isInt: true,
      isFloatConst: false,
    };
  }
  if (/[i]$/.test(text)) throw new ParseError(tok.pos, 'complex numbers are not supported');
  const clean = text.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[+-]/, '');
  const isHex = /^0[xX]/.test(body);
  const isFloatConst = !isHex && /[.eEpP]/.test(body);
  let value: number;
  let isInt: boolean;
  if (isFloatConst) {
    value = Number(body);
    if (body === '' || Number.isNaN(value)) bad();
    isInt = Number.isInteger(value);
  } else {
    let digits = body;
    let radix = 10;
    if (/^0[xX]/.test(body)) [digits, radix] = [body.slice(2), 16];
    else if (/^0[oO]/.test(body)) [digits, radix] = [body.slice(2), 8];
    else if (/^0[bB]/.test(body)) [digits, radix] = [body.slice(2), 2];
    else if (/^0[0-7]+$/.test(body)) [digits, radix] = [body.slice(1), 8];
    const valid = { 16: /^[0-9a-fA-F]+$/, 8: /^[0-7]+$/, 2: /^[01]+$/, 10: /^[0-9]+$/ }[radix];
    if (!valid?.test(digits)) bad();
    value = sign * parseInt(digits, radix);
    isInt = true;
    return { t: 'number', pos: tok.pos, text, value, isInt, isFloatConst };
  }
  return { t: 'number', pos: tok.pos, text, value: sign * value, isInt, isFloatConst };
}

function unquote(tok: Token): string {
  if (tok.type === 'rawString') return tok.val.slice(1, -1).replace(/\r/g, '');
  return unquoteString(tok.val.slice(1, -1), '"', tok.pos);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** strconv.Unquote's escapes; \x and octal escapes are bytes, decoded as UTF-8 at the end. */
function unquoteString(s: string, quote: string, pos: number): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  const pushStr = (str: string): void => {
    for (const b of Buffer.from(str, 'utf8')) bytes.push(b);
  };
  const bad = (): never => {
    throw new ParseError(pos, 'invalid syntax');
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (ch !== '\\') {
      const cp = s.codePointAt(i) ?? 0;
      pushStr(String.fromCodePoint(cp));
      if (cp > 0xffff) i++;
      continue;
    }
    const e = s[++i] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      pushStr(simple);
    } else if (e === quote) {
      pushStr(e);
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(i + 1, i + 1 + len);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) bad();
      const v = parseInt(hex, 16);
      if (e === 'x') bytes.push(v);
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) bad();
      else pushStr(String.fromCodePoint(v));
      i += len;
    } else if (e >= '0' && e <= '7') {
      const oct = s.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) bad();
      const v = parseInt(oct, 8);
      if (v > 255) bad();
      bytes.push(v);
      i += 2;
    } else {
      bad();
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Go's String() of a node, for error context. */
export function argString(a: Arg): string {
  switch (a.t) {
    case 'field':
      return '.' + a.idents.join('.');
    case 'variable':
      return a.idents.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(a.value);
    case 'number':
    case 'string':
      return a.text;
    case 'ident':
      return a.name;
    case 'pipe':
      return `(${pipeString(a.pipe)})`;
    case 'chain':
      return argString(a.node) + a.fields.map((f) => '.' + f).join('');
  }
}

export function commandString(c: Command): string {
  return c.args.map(argString).join(' ');
}

export function pipeString(p: Pipe): string {
  const decl = p.decl.length ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(commandString).join(' | ');
}
