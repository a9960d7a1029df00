/** Guest images built from Debian packages, cached by the hash of their inputs. */
export {
  ensureGuestImage,
  cachedGuestImage,
  defaultCacheRoot,
  hashInputs,
  imageInputsSchema,
  imageManifestSchema,
  IMAGE_FORMAT_VERSION,
  parseStanzas,
  type GuestImage,
  type ImageInputs,
  type ImageManifest,
  type ImageOptions,
} from './build.ts';
export {
  AGENT_SCRIPT,
  INIT_SCRIPT,
  DEFAULT_MODULES,
  AGENT_READY_LINE,
  AGENT_ANSWER_PREFIX,
  AGENT_BAD_COMMAND_EXIT,
} from './guest-files.ts';
export { indexModules, moduleDepends, orderModules } from './modules.ts';
