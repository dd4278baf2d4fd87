// Structured logs: one JSON object per line on stdout (or a compact text form for humans).
// Callers never log secret values, and these guards are the second line of defence: pino's
// `redact` censors well-known secret-bearing keys, and errors are reduced to a few fields
// because HTTP client errors and provider SDK errors may carry request or response bodies.

import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger, LoggerOptions } from 'pino';
import type { LogFormat, LogLevel } from '../config/logging.js';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; default stdout. Tests pass a collector. */
  destination?: { write(line: string): unknown };
}

export const REDACT_CENSOR = '[redacted]';

// Keys whose values are secret material wherever they appear. `data`/`stringData`/`binaryData`
// are the fields of a Secret; the others are common credential names in provider configs.
const SECRET_KEYS = [
  'data',
  'stringData',
  'binaryData',
  'value',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'sessionToken',
  'clientSecret',
  'secretAccessKey',
  'privateKey',
];

// A pino wildcard matches exactly one level: cover the top level and two below, which is as
// deep as log fields go here (e.g. `{ secret: { data } }`, `{ req: { body: { token } } }`).
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'headers.authorization',
  'headers.cookie',
  'headers["x-vault-token"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-vault-token"]',
];

export interface SerializedError {
  name?: string;
  message?: string;
  reason?: string;
  code?: string | number;
}

const MAX_ERROR_MESSAGE = 1024;

/**
 * Keeps name, message, reason and code only: an error object may carry a request (with an
 * Authorization header), a response body echoing a secret, or a `cause` chain of either.
 */
export function serializeError(e: unknown): SerializedError {
  if (e === null || e === undefined) return { message: String(e) };
  if (typeof e !== 'object') return { message: truncate(String(e)) };
  const o = e as Record<string, unknown>;
  const out: SerializedError = {};
  if (typeof o.name === 'string') out.name = o.name;
  else if (e instanceof Error) out.name = e.constructor.name;
  if (typeof o.message === 'string') out.message = truncate(o.message);
  if (typeof o.reason === 'string') out.reason = o.reason;
  if (typeof o.code === 'string' || typeof o.code === 'number') out.code = o.code;
  return out;
}

function truncate(s: string): string {
  return s.length > MAX_ERROR_MESSAGE ? `${s.slice(0, MAX_ERROR_MESSAGE - 3)}...` : s;
}

// ---- text format ----

const TEXT_RESERVED = new Set(['time', 'level', 'msg']);

function textValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s !== undefined && /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s ?? String(v));
}

function flatten(prefix: string, v: unknown, out: string[]): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, sub] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, sub, out);
    return;
  }
  out.push(`${prefix}=${textValue(v)}`);
}

/** One pino JSON line → `2024-05-01T10:00:00.000Z INFO  message key=value err.message="..."`. */
export function formatTextLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const fields: string[] = [];
  for (const [k, v] of Object.entries(rec)) if (!TEXT_RESERVED.has(k)) flatten(k, v, fields);
  const level = String(rec.level ?? '').toUpperCase();
  const head = `${String(rec.time ?? '')} ${level.padEnd(5)} ${String(rec.msg ?? '')}`;
  return `${fields.length > 0 ? `${head} ${fields.join(' ')}` : head}\n`;
}

function textStream(dest: { write(line: string): unknown }): DestinationStream {
  return { write: (line: string) => void dest.write(formatTextLine(line)) };
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    // Every pod's collector adds pod and node; pid and hostname would only repeat them.
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACT_CENSOR },
    serializers: { err: serializeError, error: serializeError },
  };
  if ((opts.format ?? 'json') === 'text') {
    return pino(options, textStream(opts.destination ?? process.stdout));
  }
  if (opts.destination) return pino(options, { write: (line: string) => void opts.destination?.write(line) });
  // pino's own stdout stream: asynchronous, and flushed on process exit.
  return pino(options);
}
