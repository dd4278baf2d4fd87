// The parts of undici Syncret uses (Agent and request), without undici's index. The index loads
// every dispatcher, fetch, WebSocket, the cache and the mocks, and creates a global Agent: with
// the operator's flags, 2.7 MiB more heap and 7 MiB more RSS after 50 requests (Node 24.21,
// undici 8.12), for code Syncret never calls. undici declares no `exports`, so its files are
// importable; the API methods (`request`, `stream`, ...) are mixed into Dispatcher's prototype,
// as the index does. An upgrade that moves these files fails at startup and in every test.

import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

// Each load is spelled out in full: scripts/build-sea.ts turns these calls into require() for
// the bundler.
export const Agent = createRequire(import.meta.url)('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
export type Agent = UndiciAgent;

const base = createRequire(import.meta.url)('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
const api = createRequire(import.meta.url)('undici/lib/api/index.js') as object;
// The index does the same when it loads; doing it again (a library that loads the index) is harmless.
Object.assign(base.prototype, api);

/** undici's global dispatcher (an Agent unless something set another), loaded on first use. */
function globalDispatcher(): Dispatcher {
  const global = createRequire(import.meta.url)('undici/lib/global.js') as {
    getGlobalDispatcher(): Dispatcher;
  };
  return global.getGlobalDispatcher();
}

/** undici's `request(url, options)`, on `dispatcher` or undici's global dispatcher. */
export function request(
  url: URL,
  opts: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher?: Dispatcher },
): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = opts;
  return (dispatcher ?? globalDispatcher()).request({
    ...rest,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
  });
}
