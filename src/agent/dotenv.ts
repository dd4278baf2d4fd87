// KEY=VALUE text (what an exec-mode template renders) into environment variables. The rules
// of the dotenv files Compose and most loaders read: blank lines and `#` comments are skipped,
// `export ` is allowed, a value may be single-quoted (literal) or double-quoted (\n, \", \\
// escapes); otherwise it is the rest of the line, trimmed. Errors name the line, never its text.

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class DotenvError extends Error {
  override readonly name = 'DotenvError';
}

function unquote(v: string, where: string): string {
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v
      .slice(1, -1)
      .replace(/\\([nrt"\\$])/g, (_, c: string) =>
        c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c,
      );
  }
  if (v.startsWith('"') || v.startsWith("'")) throw new DotenvError(`${where}: unterminated quote`);
  return v;
}

/** Parses `text`; `name` says where it came from in messages. */
export function parseDotenv(text: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const where = `${name}, line ${i + 1}`;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    if (eq <= 0) throw new DotenvError(`${where} is not KEY=VALUE`);
    const key = body.slice(0, eq).trim();
    if (!NAME.test(key))
      throw new DotenvError(`${where}: ${JSON.stringify(key.slice(0, 64))} is not a variable name`);
    out.set(key, unquote(body.slice(eq + 1).trim(), where));
  }
  return out;
}

/** Lines for a dotenv file: values quoted when they need it, so parseDotenv reads them back. */
export function formatDotenv(vars: Iterable<[string, string]>): string {
  let out = '';
  for (const [k, v] of vars) {
    const plain = /^[A-Za-z0-9_./:@%+,=-]*$/.test(v);
    out += `${k}=${
      plain
        ? v
        : `"${v
            .replace(/[\\"$]/g, (c) => `\\${c}`)
            .replace(/\n/g, '\\n')
            .replace(/\r/g, '\\r')
            .replace(/\t/g, '\\t')}"`
    }\n`;
  }
  return out;
}
