import { afterEach, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { Metrics } from './metrics.js';
import { startHttpServer } from './server.js';
import type { HttpServer, ReadyResult } from './server.js';

interface Res {
  status: number;
  type: string | undefined;
  body: string;
}

function get(port: number, path: string, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startHttpServer', () => {
  let server: HttpServer | undefined;
  let live = true;
  let ready: () => ReadyResult = () => false;
  const metrics = new Metrics({ defaultMetrics: false, version: 't' });

  const start = async (address = '127.0.0.1:0') => {
    server = await startHttpServer({
      address,
      metrics,
      health: { live: () => live, ready: () => ready() },
    });
    return server;
  };

  afterEach(async () => {
    await server?.close();
    server = undefined;
    live = true;
    ready = () => false;
  });

  it('binds port 0 to a real port and reports it', async () => {
    const s = await start();
    expect(s.port).toBeGreaterThan(0);
    expect(s.address).toBe(`127.0.0.1:${s.port}`);
  });

  it('serves /metrics with the Prometheus content type', async () => {
    const s = await start();
    metrics.statusWrite();
    const res = await get(s.port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe(metrics.contentType);
    expect(res.body).toContain('syncret_status_writes_total 1');
    expect(res.body).toContain('syncret_build_info{version="t"');
  });

  it('answers /healthz from live()', async () => {
    const s = await start();
    expect(await get(s.port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    live = false;
    expect((await get(s.port, '/healthz')).status).toBe(503);
  });

  it('answers /readyz from ready(), with a short reason when not ready', async () => {
    const s = await start();
    expect(await get(s.port, '/readyz')).toMatchObject({ status: 503, body: 'not ready\n' });
    ready = () => ({ ok: false, detail: 'caches not synced\n(yet)' });
    expect(await get(s.port, '/readyz')).toMatchObject({ status: 503, body: 'caches not synced (yet)\n' });
    ready = () => true;
    expect(await get(s.port, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    ready = () => ({ ok: true, detail: '' });
    expect((await get(s.port, '/readyz?verbose')).status).toBe(200);
  });

  it('turns throwing checks into failures', async () => {
    const s = await start();
    live = true;
    ready = () => {
      throw new Error('boom');
    };
    expect(await get(s.port, '/readyz')).toMatchObject({ status: 503, body: 'readiness check failed\n' });
  });

  it('404s unknown paths and 405s other methods', async () => {
    const s = await start();
    expect((await get(s.port, '/')).status).toBe(404);
    expect((await get(s.port, '/metricsx')).status).toBe(404);
    expect((await get(s.port, '/metrics', 'POST')).status).toBe(405);
    expect(await get(s.port, '/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('fails to start on a busy port', async () => {
    const s = await start();
    await expect(
      startHttpServer({
        address: `127.0.0.1:${s.port}`,
        metrics,
        health: { live: () => true, ready: () => true },
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('rejects a malformed address', async () => {
    await expect(
      startHttpServer({ address: 'nope', metrics, health: { live: () => true, ready: () => true } }),
    ).rejects.toThrow(/invalid address/);
  });

  it('close() is idempotent and frees the port', async () => {
    const s = await start();
    const port = s.port;
    await s.close();
    await s.close();
    server = undefined;
    await expect(get(port, '/healthz')).rejects.toThrow();
  });
});
