// Unpacks the one executable an import installs (`tofu` or `terraform`) from a
// release zip whose sha256 the bundle reader has already checked. Only that entry
// is read, through the verifying reader in src/adapters/archive/zip-entry.ts (size
// and CRC-32 checked), and it is written with mode 0755 and fsynced.

import fs from 'node:fs/promises';
import { openZipMember } from '../../adapters/archive/zip-entry.js';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { REBUILD_BUNDLE } from './remedies.js';

export interface ExtractedBinary {
  size: number;
}

/** Writes entry `entryName` of `zipPath` (the zip's root, a regular file) to `dest` (created; must not exist). */
export async function extractExecutable(
  zipPath: string,
  entryName: string,
  dest: string,
  /** Shown in messages instead of the staging path: the bundle path of the zip. */
  label: string,
): Promise<ExtractedBinary> {
  const member = await openZipMember(zipPath, entryName, label, `a ${entryName} release zip always does`);
  try {
    const fh = await fs.open(dest, 'wx', 0o755).catch((e: unknown) => {
      throw new AirgapError('FS_ERROR', `cannot create ${dest}: ${errorText(e)}`, { path: dest, cause: e });
    });
    try {
      let size = 0;
      for await (const chunk of (await member.open()) as AsyncIterable<Buffer>) {
        size += chunk.length;
        await fh.write(chunk).catch((e: unknown) => {
          throw new AirgapError('FS_ERROR', `cannot write ${dest}: ${errorText(e)}`, {
            path: dest,
            cause: e,
          });
        });
      }
      // The umask may have cleared bits of the mode given to open().
      await fh.chmod(0o755);
      await fh.sync();
      return { size };
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (isAirgapError(e))
      throw e.code === 'ZIP_INVALID' && e.remedy === undefined ? e.withRemedy(REBUILD_BUNDLE) : e;
    throw new AirgapError(
      'ZIP_INVALID',
      `${label}: entry "${entryName}" cannot be unpacked (${errorText(e)})`,
      {
        path: label,
        cause: e,
      },
      REBUILD_BUNDLE,
    );
  } finally {
    member.close();
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
