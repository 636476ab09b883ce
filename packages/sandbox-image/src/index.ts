export { DEFAULT_APT_SOURCE, findAptSource, readAptSourceFiles, resolveAptSource } from './apt-sources.js';
export { BUILD_ACCOUNT_NAME } from './build-account.js';
export type { BuildProgress, ProgressListener } from './build-progress.js';
export { createBuildProgress, formatProgress } from './build-progress.js';
export type { BuildUserlandOptions } from './build-userland.js';
export { buildUserland, MMDEBSTRAP_INSTALL_HINT } from './build-userland.js';
export type { SandboxImageErrorCode } from './errors.js';
export { isSandboxImageError, SandboxImageError } from './errors.js';
export type { CachedImage, ImageManifest } from './image-cache.js';
export {
  defaultImageCacheDir,
  ImageCache,
  imageDirName,
  removeTree,
  treeSize,
} from './image-cache.js';
export { hostNodeRuntime } from './node-runtime.js';
export type { BuildNpmLayerOptions, LayerSandbox } from './npm-layer.js';
export { buildNpmLayer, createLayerSandbox, npmLayerDigest } from './npm-layer.js';
export type { AptSource, NodeRuntime, UserlandRecipe } from './recipe.js';
export {
  AGENT_USER,
  aptSourceLines,
  aptSourcesInput,
  BASE_PACKAGES,
  DEFAULT_USERLAND_SUITE,
  mmdebstrapArgs,
  redactSource,
  redactUrlCredentials,
  USERLAND_RECIPE_VERSION,
  userlandDigest,
  userlandRecipe,
} from './recipe.js';
export type {
  BuilderAvailability,
  BuildStepOptions,
  GroupBuildOptions,
  GroupUserland,
  PruneResult,
  SandboxImagesOptions,
  SandboxImagesStatus,
} from './sandbox-images.js';
export { createSandboxImages, SandboxImages } from './sandbox-images.js';
