// A bundle directory signed as `airgap export --sign-key` signs one: SHA256SUMS.sig over
// SHA256SUMS (rewritten first from airgap.json), by a throwaway key whose public half is
// written beside it for --trusted-key.

import fs from 'node:fs/promises';
import path from 'node:path';
import { BUNDLE } from '../../src/core/layout/names.js';
import { resum } from './import-fixtures.js';
import { generateSigningKey, signDetached, type TestKey } from './pgp.js';

export interface SignedBundle {
  key: TestKey;
  /** The armored public key file, for --trusted-key. */
  trustedKeyFile: string;
}

/** Re-sums and signs bundle directory `dir`; the public key goes to `keyFile`. */
export async function signBundleDir(dir: string, keyFile: string, key?: TestKey): Promise<SignedBundle> {
  const signer = key ?? (await generateSigningKey({ name: 'bundle signer' }));
  await resum(dir);
  const sums = await fs.readFile(path.join(dir, BUNDLE.checksums));
  await fs.writeFile(path.join(dir, BUNDLE.checksumsSignature), await signDetached(sums, signer));
  await fs.writeFile(keyFile, signer.publicKeyArmored);
  return { key: signer, trustedKeyFile: keyFile };
}
