export {
  allCRDs,
  clusterExternalSecretCRD,
  clusterSecretStoreCRD,
  externalSecretCRD,
  secretStoreCRD,
} from './crds.js';
export {
  clusterGeneratorCRD,
  generatorCRDs,
  generatorStateCRD,
  vaultDynamicSecretCRD,
} from './generators.js';
export type { CustomResourceDefinition, CRDVersion, PrinterColumn } from './crds.js';
export { crdFileName, KUSTOMIZATION_FILE, renderCRDFiles } from './render.js';
export type { CelRule, Schema } from '../schema.js';
