// Template failures carry Go's location format so ESO users recognise them. Messages are
// built from template text and type names only: data values must never reach a status
// condition or a log line.

/** TemplateLimit: a bound of limits.ts ran out (steps, output, time). */
/** TemplatePaced: the operator's pace for costly functions was spent; a retry soon succeeds. */
export type TemplateErrorReason = 'TemplateParse' | 'TemplateExec' | 'TemplateLimit' | 'TemplatePaced';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    readonly reason: TemplateErrorReason,
    readonly templateName: string,
    /** 1-based line of the offending token. */
    readonly line: number,
    /** Go's column: the 0-based byte offset of the token within its line. */
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown by functions and value helpers; the evaluator adds the location. */
export class ExecFailure extends Error {
  override readonly name = 'ExecFailure';
}

/** A costly function refused by the operator's pace (cost.ts), not by the template. */
export class PaceExceeded extends ExecFailure {}

/** Line (1-based) and Go-style byte column (0-based) of a UTF-16 offset into `text`. */
export function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: Buffer.byteLength(text.slice(lineStart, offset), 'utf8') };
}
