export { detectVariants, type DetectedVariant, type VariantLayout } from './detect-variants.js';
export { selectVariant, variantName, type SelectVariantOptions } from './select-variant.js';
export { isValidRepoId } from './is-valid-repo-id.js';
export { loadRegistry, type LoadRegistryOptions } from './load-registry.js';
export {
  DEVICES,
  MODEL_NAME_PATTERN,
  deviceSchema,
  licenseSchema,
  modelEntrySchema,
  modelNameSchema,
  registryFileSchema,
  variantNameSchema,
  variantSchema,
  type Device,
  type License,
  type ModelEntry,
  type RegistryFile,
  type VariantSpec,
} from './model-entry-schema.js';
export { licenseNotice, type LicenseNotice } from './license-notice.js';
export { parseRegistryFile } from './parse-registry-file.js';
export type { EntrySource, RegisteredModel, Registry } from './registry.js';
export { resolveModel, type ModelRef, type ResolveModelOptions } from './resolve-model.js';
