// The providers a store may configure. A new provider is one file here and one line below;
// the store schema, its "exactly one provider" rule, ProviderSpec and the docs follow from
// this list.

import { aws } from './aws.js';
import { azurekv } from './azurekv.js';
import { fake } from './fake.js';
import { gcpsm } from './gcpsm.js';
import { kubernetes } from './kubernetes.js';
import { openBao } from './openbao.js';
import { vault } from './vault.js';
import { webhook } from './webhook.js';

export const PROVIDERS = {
  aws,
  azurekv,
  fake,
  gcpsm,
  kubernetes,
  openBao,
  vault,
  webhook,
} as const;

export type ProviderName = keyof typeof PROVIDERS;
