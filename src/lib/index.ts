// `import { openStore } from 'syncret'`: the operator's providers for an application that reads
// its secret store directly. See docs/DELIVERY.md ("A library for applications").

export { openStore } from './store.js';
export { ProviderError } from '../providers/errors.js';
export type { ProviderErrorReason } from '../providers/errors.js';
export { SecretDataError } from '../secrets/errors.js';
export type {
  CredentialsOptions,
  DynamicCredentials,
  GetOptions,
  LeaseState,
  OpenStoreOptions,
  ProviderSpec,
  ReadOptions,
  Store,
  StoreKind,
  StoreSpecLike,
  TokenProvider,
} from './types.js';
