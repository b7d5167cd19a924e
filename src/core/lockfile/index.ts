// Dependency lock files (.terraform.lock.hcl): model, parser, writer.

export type { LockFile, LockTool, LockedProvider, SourceRange } from './model.js';
export { defaultRegistryHost, detectLockTool, lockHeader } from './model.js';
export { parseLockFile, type ParseLockFileOptions } from './parse.js';
export { formatLockFile } from './format.js';
