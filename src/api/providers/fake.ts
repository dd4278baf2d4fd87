// provider.fake: static values in the store spec, for tests and demos.

import { arr, atLeastOne, intOrStr, map, obj, str } from '../schema.js';
import type { Static } from '../schema.js';

export function fake() {
  return obj(
    {
      data: arr(
        obj(
          {
            key: str(),
            value: str({ desc: 'Returned as is; property reads JSON inside it.' }),
            valueMap: map(str(), {
              desc: 'Deprecated in ESO: a structured value; use a JSON value instead.',
            }),
            version: str(),
          },
          {
            required: ['key'],
            rules: [atLeastOne(['value', 'valueMap'], 'each fake data entry needs value or valueMap')],
          },
        ),
      ),
      validationResult: intOrStr({
        desc: 'What store validation reports: 0 (or Ready), 1 (or Unknown), 2 (or Error).',
      }),
    },
    { desc: 'Static values for tests and demos.', required: ['data'] },
  );
}

export type FakeProvider = Static<ReturnType<typeof fake>>;
export type FakeProviderData = NonNullable<FakeProvider['data']>[number];
