// An application that uses the library as a user would: `import { openStore } from 'syncret'`,
// resolved through its own node_modules (copied next to a symlink to the package). It records
// every module Node loads, runs the steps its configuration names, and writes what it read
// (JSON lines) to $LIB_RESULTS; events go to stderr without values.
//   LIB_CONFIG = { store, options, steps: [...] }; step kinds:
//     { get: KEY, property?, as }            one value
//     { getSecret: KEY, as }                 every field
//     { credentials: PATH, until: 'rotate' } dynamic credentials: waits for a renewal and a
//                                            rotation, then for the file $LIB_GO before closing

import { existsSync, appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const loaded = [];
registerHooks({
  load(url, context, next) {
    if (url.startsWith('file:')) loaded.push(url);
    return next(url, context);
  },
});

const config = JSON.parse(process.env.LIB_CONFIG ?? '{}');
const out = (record) =>
  appendFileSync(process.env.LIB_RESULTS, `${JSON.stringify(record)}\n`, { mode: 0o600 });
const log = (msg) => process.stderr.write(`library-app: ${msg}\n`);

async function waitFor(what, fn, ms = 30_000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const { openStore, ProviderError } = await import('syncret');
out({ modules: loaded.slice() });
let store;
try {
  store = await openStore(config.store, config.options);
  log(`opened a ${store.provider} store`);
  for (const step of config.steps) {
    if (step.get !== undefined) {
      out({ as: step.as, value: await store.get(step.get, { property: step.property }) });
    } else if (step.getSecret !== undefined) {
      out({ as: step.as, value: await store.getSecret(step.getSecret) });
    } else if (step.credentials !== undefined) {
      const events = [];
      const c = await store.credentials(step.credentials, {
        onRenew: (l) => events.push({ renewed: l.leaseId, expiresAt: l.expiresAt.toISOString() }),
        onRotate: (x) => events.push({ rotated: x.leaseId, data: x.data }),
        onError: (e) => log(`lease error: ${e.message}`),
      });
      out({ as: 'first', leaseId: c.leaseId, leaseDuration: c.leaseDuration, data: c.data });
      await waitFor('a renewal then a rotation', () => events.some((e) => e.rotated));
      log(`lease events: ${events.map((e) => (e.renewed ? 'renewed' : 'rotated')).join(', ')}`);
      out({ as: 'events', events, current: { leaseId: c.leaseId, data: c.data } });
      await waitFor('the go file', () => existsSync(process.env.LIB_GO), 60_000);
    }
  }
} catch (e) {
  log(`failed: ${e instanceof ProviderError ? `${e.reason}: ` : ''}${e.message}`);
  process.exitCode = 1;
} finally {
  await store?.close();
  log('closed');
  out({ modulesAtEnd: loaded.slice() });
}
