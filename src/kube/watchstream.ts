// One watch stream: a long GET on the watch pool whose body is newline-delimited JSON events.
// Resumption, relisting and inactivity timers belong to the caller (src/runtime/watch.ts).

import type { Dispatcher } from 'undici';
import type { KubeObject } from '../api/types.js';
import { resourcePath } from './paths.js';
import type { Requester } from './request.js';
import { errorText, headerValue, statusError } from './status.js';
import { KubeApiError } from './types.js';
import type { ResourceType, WatchEvent, WatchOptions } from './types.js';

/** An object in etcd is at most ~1.5 MiB; a much longer watch line means a broken stream. */
const MAX_WATCH_LINE_BYTES = 64 << 20;

/**
 * Splits a byte stream into newline-terminated lines. Works on bytes: 0x0A never occurs
 * inside a multi-byte UTF-8 sequence, so chunk boundaries cannot corrupt characters.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLineBytes = MAX_WATCH_LINE_BYTES) {}

  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      let line = chunk.subarray(start, nl);
      if (this.parts.length > 0) {
        this.parts.push(line);
        line = Buffer.concat(this.parts, this.size + line.length);
        this.parts = [];
        this.size = 0;
      }
      start = nl + 1;
      const s = line.toString('utf8').trim();
      if (s) out.push(s);
    }
    if (start < chunk.length) {
      // Copied: the transport may reuse its chunk buffers.
      const rest = Buffer.from(chunk.subarray(start));
      this.size += rest.length;
      if (this.size > this.maxLineBytes) {
        throw new KubeApiError(0, 'DecodeError', `a watch event exceeds ${this.maxLineBytes} bytes`);
      }
      this.parts.push(rest);
    }
    return out;
  }

  /** The unterminated last line, if any. */
  end(): string | undefined {
    if (this.parts.length === 0) return undefined;
    const s = Buffer.concat(this.parts, this.size).toString('utf8').trim();
    this.parts = [];
    this.size = 0;
    return s || undefined;
  }
}

function decodeEvent<T extends KubeObject>(line: string, what: string): WatchEvent<T> {
  let ev: unknown;
  try {
    ev = JSON.parse(line);
  } catch {
    throw new KubeApiError(0, 'DecodeError', `${what}: a watch event is not valid JSON`);
  }
  const e = ev as Partial<WatchEvent<T>> | null;
  if (!e || typeof e.type !== 'string' || !e.object || typeof e.object !== 'object') {
    throw new KubeApiError(0, 'DecodeError', `${what}: a watch event has no type or object`);
  }
  return e as WatchEvent<T>;
}

/** Opens the stream; undefined when the caller aborted first (the watch then ends quietly). */
async function open(
  req: Requester,
  type: ResourceType,
  opts: WatchOptions,
  what: string,
): Promise<Dispatcher.ResponseData | undefined> {
  const signal = opts.signal;
  try {
    await req.o.limiter.acquire(signal);
  } catch (e) {
    if (signal?.aborted) return undefined;
    throw e;
  }
  const headers = await req.headers();
  const started = performance.now();
  let res: Dispatcher.ResponseData;
  try {
    res = await req.transport.watchAgent.request({
      origin: req.transport.origin,
      path: req.fullPath(resourcePath(type, opts.namespace), {
        watch: 1,
        allowWatchBookmarks: true,
        resourceVersion: opts.resourceVersion || undefined,
        timeoutSeconds: opts.timeoutSeconds,
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
      }),
      method: 'GET',
      headers,
      signal,
      headersTimeout: req.o.timeoutMs,
      bodyTimeout: 0,
      blocking: true,
    });
  } catch (e) {
    req.report('watch', type.resource, 0, started);
    if (signal?.aborted) return undefined;
    throw new KubeApiError(0, 'NetworkError', `${what}: ${errorText(e)}`);
  }
  req.report('watch', type.resource, res.statusCode, started);
  return res;
}

export async function* watchStream<T extends KubeObject>(
  req: Requester,
  type: ResourceType,
  opts: WatchOptions,
): AsyncGenerator<WatchEvent<T>> {
  const signal = opts.signal;
  const what = `GET ${resourcePath(type, opts.namespace)} (watch)`;
  const res = await open(req, type, opts, what);
  if (!res) return;
  const body = res.body;
  try {
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await body.text();
      if (res.statusCode === 401) req.transport.invalidateAuth();
      throw statusError(res.statusCode, text, headerValue(res.headers, 'retry-after'), what);
    }
    const splitter = new LineSplitter();
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        for (const line of splitter.push(chunk)) yield decodeEvent<T>(line, what);
      }
    } catch (e) {
      if (signal?.aborted) return;
      if (e instanceof KubeApiError) throw e;
      throw new KubeApiError(0, 'NetworkError', `${what}: ${errorText(e)}`);
    }
    const tail = splitter.end();
    if (tail) yield decodeEvent<T>(tail, what);
  } finally {
    if (!body.destroyed) body.destroy();
  }
}
