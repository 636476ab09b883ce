/**
 * `@nanoclaw/sandbox-image`: `createSandboxImages` builds, caches and prunes a group's userland (a Debian tree
 * plus its npm layer); `createLayerSandbox` runs the npm layer's build in a sandbox; `formatProgress` renders
 * build progress. The recipe, apt-source and cache internals stay in the package.
 */
export type { BuildProgress, ProgressListener } from './build-progress.js';
export { formatProgress } from './build-progress.js';
export type { SandboxImageErrorCode } from './errors.js';
export { isSandboxImageError, SandboxImageError } from './errors.js';
export type { CachedImage, ImageManifest } from './image-cache.js';
export { removeTree, treeSize } from './image-cache.js';
export type { LayerSandbox } from './npm-layer.js';
export { createLayerSandbox } from './npm-layer.js';
export type { AptSource, NodeRuntime, UserlandRecipe } from './recipe.js';
export { BASE_PACKAGES, userlandDigest } from './recipe.js';
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
