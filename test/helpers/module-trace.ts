// Which modules an airgap CLI run loaded: the environment that makes a run record them
// (module-trace/register.mjs, preloaded through NODE_OPTIONS), and the reading of the
// record as the npm packages and the files of dist/ that were loaded.
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './realdata.js';

const REGISTER = path.join(REPO_ROOT, 'test', 'helpers', 'module-trace', 'register.mjs');

/** Environment for a CLI run that records the modules it loads in `file`. */
export function moduleTraceEnv(file: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${pathToFileURL(REGISTER).href}`, AIRGAP_MODULE_TRACE: file };
}

export interface LoadedModules {
  /** npm packages with at least one file loaded ("yaml", "@aws-sdk/client-s3"), sorted. */
  packages: string[];
  /** Files of dist/ loaded, relative to dist/ ("cli/help.js"), sorted. */
  dist: string[];
  /** Files of npm packages loaded, as "package/path/in/it.js" ("undici/lib/api/index.js"), sorted. */
  packageFiles: string[];
}

export async function readModuleTrace(file: string): Promise<LoadedModules> {
  const files = new Set((await fs.readFile(file, 'utf8')).split('\n').filter((l) => l !== ''));
  const packages = new Set<string>();
  const dist = new Set<string>();
  const packageFiles = new Set<string>();
  const distRoot = path.join(REPO_ROOT, 'dist') + path.sep;
  for (const f of files) {
    // The last node_modules/ in the path names the package the file belongs to.
    const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*node_modules[\\/])/.exec(f);
    if (m) {
      packages.add(m[1]!.replaceAll('\\', '/'));
      packageFiles.add(f.slice(m.index + 'node_modules/'.length).replaceAll('\\', '/'));
    } else if (f.startsWith(distRoot)) dist.add(f.slice(distRoot.length).replaceAll('\\', '/'));
  }
  return { packages: [...packages].sort(), dist: [...dist].sort(), packageFiles: [...packageFiles].sort() };
}
