// The providers a store may configure. A new provider is one file here and one line below;
// the store schema, its "exactly one provider" rule and the docs follow from this list.

import type { Schema } from '../schema.js';
import { aws } from './aws.js';
import { azurekv } from './azurekv.js';
import { fake } from './fake.js';
import { gcpsm } from './gcpsm.js';
import { kubernetes } from './kubernetes.js';
import { vault } from './vault.js';

export const PROVIDERS: Readonly<Record<string, () => Schema>> = {
  aws,
  azurekv,
  fake,
  gcpsm,
  kubernetes,
  vault,
};
