// Lexer for Go text/template. It follows the Go lexer's states (text, action, comment)
// and its error wording, so errors read as they would in ESO. Text between actions is found
// with indexOf; actions are scanned by char code.

export type TokType =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'ident'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

export interface Token {
  type: TokType;
  val: string;
  /** UTF-16 offset into the template text. */
  pos: number;
}

export class LexError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
  }
}

const KEYWORDS = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

const isSpaceCode = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;

function isAlphaNumeric(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigitCode(c) || c === 95) return true;
  if (c < 128 || Number.isNaN(c)) return false;
  return /[\p{L}\p{Nd}]/u.test(String.fromCodePoint(text.codePointAt(i) ?? 0));
}

function describeChar(text: string, i: number): string {
  const cp = text.codePointAt(i) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex} '${String.fromCodePoint(cp)}'`;
}

export function lex(text: string): Token[] {
  const toks: Token[] = [];
  const n = text.length;
  let pos = 0;
  let trimNext = false;

  const atRightDelim = (i: number): { delim: boolean; trim: boolean } => {
    if (isSpaceCode(text.charCodeAt(i)) && text.charCodeAt(i + 1) === 45 && text.startsWith('}}', i + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: text.startsWith('}}', i), trim: false };
  };
  const skipSpace = (i: number): number => {
    while (i < n && isSpaceCode(text.charCodeAt(i))) i++;
    return i;
  };
  const atTerminator = (i: number): boolean => {
    if (i >= n) return true;
    const c = text.charCodeAt(i);
    if (isSpaceCode(c)) return true;
    // . , | : ( )
    if (c === 46 || c === 44 || c === 124 || c === 58 || c === 40 || c === 41) return true;
    return text.startsWith('}}', i);
  };

  while (pos < n) {
    // Text up to the next action.
    let start = pos;
    if (trimNext) {
      start = skipSpace(pos);
      trimNext = false;
    }
    const open = text.indexOf('{{', start);
    const textEnd = open === -1 ? n : open;
    const leftTrim =
      open !== -1 && text.charCodeAt(open + 2) === 45 && isSpaceCode(text.charCodeAt(open + 3));
    let end = textEnd;
    if (leftTrim) while (end > start && isSpaceCode(text.charCodeAt(end - 1))) end--;
    if (end > start) toks.push({ type: 'text', val: text.slice(start, end), pos: start });
    if (open === -1) {
      pos = n;
      break;
    }
    pos = open + 2 + (leftTrim ? 2 : 0);
    if (text.startsWith('/*', pos)) {
      const close = text.indexOf('*/', pos + 2);
      if (close === -1) throw new LexError(open, 'unclosed comment');
      const r = atRightDelim(close + 2);
      if (!r.delim) throw new LexError(open, 'comment ends before closing delimiter');
      pos = close + 2 + (r.trim ? 2 : 0) + 2;
      trimNext = r.trim;
      continue;
    }
    toks.push({ type: 'left', val: '{{', pos: open });
    pos = lexAction(pos, open);
  }
  toks.push({ type: 'eof', val: '', pos: n });
  return toks;

  // Scans one action from `i` (just past the left delimiter); returns the offset after it.
  function lexAction(i: number, open: number): number {
    let depth = 0;
    for (;;) {
      const r = atRightDelim(i);
      if (r.delim) {
        if (depth !== 0) throw new LexError(i, 'unclosed left paren');
        toks.push({ type: 'right', val: '}}', pos: i });
        trimNext = r.trim;
        return i + (r.trim ? 2 : 0) + 2;
      }
      if (i >= n) throw new LexError(open, 'unclosed action');
      const c = text.charCodeAt(i);
      const start = i;
      if (isSpaceCode(c)) {
        i = skipSpace(i);
        // A space before "-}}" belongs to the delimiter.
        if (text.charCodeAt(i) === 45 && text.startsWith('}}', i + 1)) {
          i--;
          if (i === start) continue;
        }
        toks.push({ type: 'space', val: text.slice(start, i), pos: start });
        continue;
      }
      switch (c) {
        case 61: // =
          toks.push({ type: 'assign', val: '=', pos: i++ });
          continue;
        case 58: // :
          if (text.charCodeAt(i + 1) !== 61) throw new LexError(i, 'expected :=');
          toks.push({ type: 'declare', val: ':=', pos: i });
          i += 2;
          continue;
        case 124:
          toks.push({ type: 'pipe', val: '|', pos: i++ });
          continue;
        case 44:
          toks.push({ type: 'comma', val: ',', pos: i++ });
          continue;
        case 40:
          toks.push({ type: 'lparen', val: '(', pos: i++ });
          depth++;
          continue;
        case 41:
          toks.push({ type: 'rparen', val: ')', pos: i++ });
          if (--depth < 0) throw new LexError(start, 'unexpected right paren');
          continue;
        case 34: // "
          i = scanQuoted(i, 34, 'unterminated quoted string');
          toks.push({ type: 'string', val: text.slice(start, i), pos: start });
          continue;
        case 39: // '
          i = scanQuoted(i, 39, 'unterminated character constant');
          toks.push({ type: 'char', val: text.slice(start, i), pos: start });
          continue;
        case 96: {
          // `
          const close = text.indexOf('`', i + 1);
          if (close === -1) throw new LexError(start, 'unterminated raw quoted string');
          i = close + 1;
          toks.push({ type: 'rawString', val: text.slice(start, i), pos: start });
          continue;
        }
        case 36: // $
          i = scanWord(i + 1);
          toks.push({ type: 'variable', val: text.slice(start, i), pos: start });
          continue;
        case 46: // .
          if (!isDigitCode(text.charCodeAt(i + 1))) {
            if (atTerminator(i + 1)) {
              toks.push({ type: 'dot', val: '.', pos: i++ });
            } else {
              i = scanWord(i + 1);
              toks.push({ type: 'field', val: text.slice(start, i), pos: start });
            }
            continue;
          }
          break;
        default:
          break;
      }
      if (c === 43 || c === 45 || c === 46 || isDigitCode(c)) {
        i = scanNumber(i);
        toks.push({ type: 'number', val: text.slice(start, i), pos: start });
        continue;
      }
      if (isAlphaNumeric(text, i)) {
        i = scanWord(i);
        const word = text.slice(start, i);
        const type: TokType = KEYWORDS.has(word)
          ? 'keyword'
          : word === 'true' || word === 'false'
            ? 'bool'
            : word === 'nil'
              ? 'nil'
              : 'ident';
        toks.push({ type, val: word, pos: start });
        continue;
      }
      throw new LexError(i, `unrecognized character in action: ${describeChar(text, i)}`);
    }
  }

  function scanWord(i: number): number {
    while (i < n && isAlphaNumeric(text, i)) i += (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    if (!atTerminator(i)) throw new LexError(i, `bad character ${describeChar(text, i)}`);
    return i;
  }

  function scanQuoted(i: number, quote: number, msg: string): number {
    for (i++; ; i++) {
      const c = text.charCodeAt(i);
      if (i >= n || c === 10) throw new LexError(i, msg);
      if (c === 92) {
        i++;
        if (i >= n || text.charCodeAt(i) === 10) throw new LexError(i, msg);
      } else if (c === quote) {
        return i + 1;
      }
    }
  }

  function scanNumber(i: number): number {
    const start = i;
    const accept = (set: string): boolean => {
      if (i < n && set.includes(text[i] ?? '')) {
        i++;
        return true;
      }
      return false;
    };
    const acceptRun = (set: string): void => {
      while (i < n && set.includes(text[i] ?? '')) i++;
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (i < n && isAlphaNumeric(text, i)) {
      throw new LexError(start, `bad number syntax: ${JSON.stringify(text.slice(start, i + 1))}`);
    }
    return i;
  }
}
