// The slim undici entry answers as undici does (src/cli/startup.cli.test.ts checks that the
// operator loads nothing else of undici).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request } from './undici.js';

const server = createServer((req, res) => res.end(JSON.stringify({ path: req.url, method: req.method })));
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the slim undici entry', () => {
  it('requests through an Agent, and through the global dispatcher without one', async () => {
    const agent = new Agent({ connections: 1 });
    try {
      const a = await agent.request({ origin: base, path: '/a?x=1', method: 'GET' });
      expect(await a.body.json()).toEqual({ path: '/a?x=1', method: 'GET' });
      const b = await request(new URL(`${base}/b?y=2`), { method: 'POST', body: '{}', dispatcher: agent });
      expect(await b.body.json()).toEqual({ path: '/b?y=2', method: 'POST' });
    } finally {
      await agent.close();
    }
    const c = await request(new URL(`${base}/c`), { method: 'GET' });
    expect(c.statusCode).toBe(200);
    expect(await c.body.json()).toEqual({ path: '/c', method: 'GET' });
  });
});
