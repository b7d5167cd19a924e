// Packing flags shared by `airgap export` and `airgap mirror --tarball`.

import { Flags } from '@oclif/core';
import type { Compression, ExportOptions } from '../../services/export/export-service.js';
import { parseSplitSize } from '../../core/transfer/pack-size.js';

/** --tarball is required by export and optional for mirror (where the spec may set it and --compress). */
export function packFlags(tarballRequired: boolean) {
  return {
    tarball: Flags.string({
      summary: 'Output file (FILE.000, FILE.001, ... with --split-size).',
      required: tarballRequired,
      helpGroup: 'OUTPUT',
    }),
    compress: Flags.string({
      summary: 'Compression of the whole tarball (the packages inside are zips already).',
      options: ['none', 'gzip'],
      ...(tarballRequired ? { default: 'none' } : {}),
      helpGroup: 'OUTPUT',
    }),
    'split-size': Flags.string({
      summary: 'Cut the output into parts of this size: 700M, 4G (powers of 1024).',
      helpGroup: 'OUTPUT',
    }),
    'sign-key': Flags.string({
      summary: 'Armored OpenPGP private key that signs SHA256SUMS (passphrase: AIRGAP_SIGN_PASSPHRASE).',
      helpGroup: 'OUTPUT',
    }),
    'tool-package': Flags.string({
      summary: 'Use this `npm pack` archive of airgap instead of packing this one.',
      helpGroup: 'OUTPUT',
    }),
  };
}

interface PackFlagValues {
  tarball?: string;
  compress?: string;
  'split-size'?: string;
  'sign-key'?: string;
  'tool-package'?: string;
}

/**
 * The export options these flags give (passphrase from AIRGAP_SIGN_PASSPHRASE); `where`
 * is the command's working directory and the OS temp dir.
 */
export function packOptions(
  flags: PackFlagValues & { tarball: string },
  env: Record<string, string | undefined>,
  where: { cwd: string; tempDir: string },
): Omit<ExportOptions, 'bundleDir'> {
  const passphrase = env.AIRGAP_SIGN_PASSPHRASE;
  return {
    tarball: flags.tarball,
    compress: (flags.compress ?? 'none') as Compression,
    ...(flags['split-size'] === undefined ? {} : { splitSize: parseSplitSize(flags['split-size']) }),
    ...(flags['sign-key'] === undefined ? {} : { signKeyFile: flags['sign-key'] }),
    ...(passphrase === undefined ? {} : { passphrase }),
    ...(flags['tool-package'] === undefined ? {} : { toolPackage: flags['tool-package'] }),
    env,
    cwd: where.cwd,
    tempDir: where.tempDir,
  };
}
