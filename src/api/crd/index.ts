export {
  allCRDs,
  clusterExternalSecretCRD,
  clusterSecretStoreCRD,
  externalSecretCRD,
  generatorCRDs,
  secretStoreCRD,
  vaultDynamicSecretCRD,
} from './crds.js';
export type { CustomResourceDefinition, CRDVersion, PrinterColumn } from './crds.js';
export { crdFileName, KUSTOMIZATION_FILE, renderCRDFiles } from './render.js';
export type { CelRule, Schema } from '../schema.js';
