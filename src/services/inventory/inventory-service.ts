// `airgap inventory DIR`: hashes every file of an import destination's live generation and
// lists it with the bundles imported (docs/INVENTORY-FORMAT.md); with a signing key, wraps it
// in a signed envelope (an OpenPGP detached signature over the inventory's exact bytes, as
// SHA256SUMS.sig is over SHA256SUMS). DIR is only read.

import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../adapters/fs/sha256-file.js';
import { creationTime } from '../../core/bundle/manifest.js';
import { AirgapError } from '../../core/errors.js';
import type { Reporter } from '../../core/ports.js';
import {
  buildInventory,
  INVENTORY_SCHEMA_VERSION,
  renderInventory,
  SIGNED_INVENTORY_KIND,
  type Inventory,
} from '../../core/transfer/inventory.js';
import { readSigningKey, signChecksums } from '../../core/transfer/pack-sign.js';
import { inspectDestination } from '../import/destination.js';
import { fsError, walkFiles } from '../import/fs-ops.js';

export interface InventoryOptions {
  /** DIR, relative to cwd. */
  dest: string;
  cwd: string;
  /** --sign-key FILE: an OpenPGP private key (passphrase from `passphrase`). */
  signKeyFile?: string;
  passphrase?: string;
  /** SOURCE_DATE_EPOCH, for the signature's time. */
  env: Record<string, string | undefined>;
}

export interface InventoryOutput {
  /** The document to write: the inventory, or its signed envelope. */
  text: string;
  inventory: Inventory;
  signedBy: string | null;
}

export async function runInventory(options: InventoryOptions, reporter: Reporter): Promise<InventoryOutput> {
  const dir = path.resolve(options.cwd, options.dest);
  // The key (and its passphrase) is checked before anything slow runs.
  const signer =
    options.signKeyFile === undefined ? undefined : await readSigner(options.signKeyFile, options.passphrase);
  const dest = await inspectDestination(dir, { force: true });
  if (dest.liveDir === undefined || dest.state === undefined) {
    throw new AirgapError(
      'INPUT_NOT_FOUND',
      `${dir} has no import: an inventory lists what an import destination's live generation holds`,
      {
        path: dir,
        expected: 'a directory airgap import imported into',
        actual: dest.before === undefined ? 'no such directory' : 'no live generation',
      },
      'pass the --dest DIR of an earlier `airgap import`',
    );
  }
  const liveDir = dest.liveDir;
  const names = await walkFiles(liveDir);
  reporter.info(`hashing ${names.length} files of ${dir} (generation ${dest.state.current.generation})`);
  const files = [];
  for (const rel of names) {
    const file = path.join(liveDir, ...rel.split('/'));
    const { sha256, size } = await sha256File(file).catch((e: unknown) => {
      throw fsError('read', file, e);
    });
    files.push({ path: rel, size, sha256 });
  }
  const inventory = buildInventory(dest.state, files);
  const text = renderInventory(inventory);
  if (signer === undefined) return { text, inventory, signedBy: null };
  const created = signer.key.getCreationTime();
  const wanted = creationTime(options.env);
  const signature = await signChecksums(
    Buffer.from(text, 'utf8'),
    signer,
    wanted.getTime() < created.getTime() ? created : wanted,
    'the inventory',
  );
  return {
    text: renderInventory({
      schemaVersion: INVENTORY_SCHEMA_VERSION,
      kind: SIGNED_INVENTORY_KIND,
      inventory: text,
      signature: Buffer.from(signature).toString('base64'),
      signedBy: signer.fingerprint,
    }),
    inventory,
    signedBy: signer.fingerprint,
  };
}

async function readSigner(file: string, passphrase: string | undefined): ReturnType<typeof readSigningKey> {
  let material: Buffer;
  try {
    material = await fs.readFile(file);
  } catch (e) {
    throw new AirgapError('INPUT_NOT_FOUND', `cannot read --sign-key ${file}: ${(e as Error).message}`, {
      path: file,
      cause: e,
    });
  }
  return readSigningKey(material, file, passphrase);
}
