// Namespace scope (--namespace): an operator watching some namespaces leaves the others alone.

import { afterAll, describe, expect, it } from '@jest/globals';
import { apply, externalSecret, fakeStore, getEs, newNamespace, waitEs } from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

afterAll(() => finishSuite());

describe('namespace scope', () => {
  it('serves only the namespaces it was given', async () => {
    const inside = newNamespace('e2e-scope-in');
    const outside = newNamespace('e2e-scope-out');
    const value = secretValue('scope');
    for (const ns of [inside, outside]) {
      apply(fakeStore(ns, 'fake', [{ key: 'k', value }]));
      apply(
        externalSecret(ns, 'es', {
          secretStoreRef: { name: 'fake' },
          data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
        }),
      );
    }
    const op = await startOperator({ name: 'scope', args: ['--namespace', inside, '--concurrency', '2'] });
    try {
      await waitEs(inside, 'es');
      await new Promise((r) => setTimeout(r, 1500));
      expect((await getEs(outside, 'es'))!.status).toBeUndefined();
    } finally {
      await op.stop();
    }
  });
});
