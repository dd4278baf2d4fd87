import { describe, expect, it } from '@jest/globals';
import { createLogger, formatTextLine, serializeError } from './logger.js';
import type { CreateLoggerOptions } from './logger.js';

function capture(opts: Omit<CreateLoggerOptions, 'destination'> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...opts, destination: { write: (l: string) => lines.push(l) } });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger (json)', () => {
  it('writes one JSON object per line with a level label and ISO time', () => {
    const { logger, json } = capture();
    logger.info({ namespace: 'a' }, 'hello');
    const [rec] = json();
    expect(rec).toMatchObject({ level: 'info', namespace: 'a', msg: 'hello' });
    expect(rec?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(rec).not.toHaveProperty('pid');
    expect(rec).not.toHaveProperty('hostname');
  });

  it('honours the level', () => {
    const { logger, json } = capture({ level: 'warn' });
    logger.info('no');
    logger.debug('no');
    logger.warn('yes');
    expect(json().map((r) => r.msg)).toEqual(['yes']);
  });

  it('carries child bindings', () => {
    const { logger, json } = capture();
    logger.child({ controller: 'externalsecret', namespace: 'n', name: 'x', store: 'vault' }).info('synced');
    expect(json()[0]).toMatchObject({
      controller: 'externalsecret',
      namespace: 'n',
      name: 'x',
      store: 'vault',
    });
  });

  it('redacts secret-bearing keys at the top level and two levels down', () => {
    const { logger, lines } = capture({ level: 'trace' });
    logger.info(
      {
        data: { k: 'TOP-SECRET-1' },
        secret: {
          data: { k: 'TOP-SECRET-2' },
          stringData: { k: 'TOP-SECRET-3' },
          binaryData: 'TOP-SECRET-4',
        },
        req: {
          body: { token: 'TOP-SECRET-5', password: 'TOP-SECRET-6' },
          headers: { authorization: 'Bearer TOP-SECRET-7' },
        },
        headers: {
          authorization: 'Bearer TOP-SECRET-8',
          cookie: 'TOP-SECRET-9',
          'x-vault-token': 'TOP-SECRET-10',
        },
        value: 'TOP-SECRET-11',
        creds: { clientSecret: 'TOP-SECRET-12', secretAccessKey: 'TOP-SECRET-13' },
        keep: 'visible',
      },
      'm',
    );
    expect(lines.join('')).not.toMatch(/TOP-SECRET/);
    expect(lines.join('')).toContain('visible');
    expect(lines.join('')).toContain('[redacted]');
  });

  it('reduces errors to name, message, reason and code', () => {
    const { logger, json } = capture();
    const e = Object.assign(new Error('request failed'), {
      code: 403,
      reason: 'Forbidden',
      request: { headers: { authorization: 'Bearer SECRET' }, body: 'SECRET' },
      response: { body: 'SECRET' },
      cause: new Error('SECRET'),
    });
    logger.error({ err: e }, 'as field');
    logger.error(e, 'as object');
    for (const rec of json()) {
      expect(rec.err).toEqual({ name: 'Error', message: 'request failed', reason: 'Forbidden', code: 403 });
    }
    expect(JSON.stringify(json())).not.toContain('SECRET');
  });
});

describe('serializeError', () => {
  it('handles non-errors', () => {
    expect(serializeError('x')).toEqual({ message: 'x' });
    expect(serializeError(undefined)).toEqual({ message: 'undefined' });
    expect(serializeError(null)).toEqual({ message: 'null' });
    expect(serializeError({ message: 'm', code: 'E', extra: 1 })).toEqual({ message: 'm', code: 'E' });
  });

  it('keeps the subclass name and truncates long messages', () => {
    class KubeApiError extends Error {
      override readonly name = 'KubeApiError';
    }
    const s = serializeError(new KubeApiError('x'.repeat(5000)));
    expect(s.name).toBe('KubeApiError');
    expect(s.message?.length).toBe(1024);
  });

  it('drops non-primitive codes', () => {
    expect(serializeError({ message: 'm', code: { body: 'SECRET' } })).toEqual({ message: 'm' });
  });
});

describe('text format', () => {
  it('prints time, level, message and flattened fields', () => {
    const { logger, lines } = capture({ format: 'text' });
    logger
      .child({ namespace: 'n' })
      .warn({ err: new Error('bad thing'), count: 2, note: 'a b' }, 'sync failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\S+Z WARN {2}sync failed namespace=n err\.name=Error err\.message="bad thing" count=2 note="a b"\n$/,
    );
  });

  it('redacts in text too', () => {
    const { logger, lines } = capture({ format: 'text' });
    logger.info({ secret: { data: { a: 'SECRET' } } }, 'm');
    expect(lines.join('')).not.toContain('SECRET');
  });

  it('passes through lines it cannot parse', () => {
    expect(formatTextLine('not json')).toBe('not json\n');
  });
});
