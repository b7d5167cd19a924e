// Finds and reads the docker config.json whose `auths` hold registry logins:
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json. A missing file means no
// logins. Parsing and lookup rules live in src/core/oci/docker-auths.ts.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AirgapError } from '../../core/errors.js';
import { parseDockerConfig, type DockerAuths } from '../../core/oci/docker-auths.js';

export function dockerConfigPath(env: Record<string, string | undefined>): string {
  const dir = env['DOCKER_CONFIG']?.trim();
  if (dir) return path.join(dir, 'config.json');
  const home = env['HOME']?.trim() || os.homedir();
  return path.join(home, '.docker', 'config.json');
}

/** The config's auths; `{ entries: [] }` when the file does not exist. */
export async function readDockerConfig(env: Record<string, string | undefined>): Promise<DockerAuths> {
  const file = dockerConfigPath(env);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { entries: [] };
    throw new AirgapError('FS_ERROR', `cannot read docker config ${file}: ${code ?? String(cause)}`, {
      path: file,
      cause,
    });
  }
  return parseDockerConfig(text, file);
}
