// The bundle-signature flags of the commands that check a bundle as verify does (verify,
// serve): one definition, so their help and parsing cannot drift apart.

import { Flags } from '@oclif/core';
import { LIST } from './repeatable.js';

export const trustedKeyFlag = Flags.string({
  summary: 'Public key (armored or binary) that may sign SHA256SUMS (repeatable, or a comma list).',
  ...LIST,
  helpGroup: 'SIGNATURES',
});

export const insecureSkipSignatureFlag = Flags.boolean({
  summary: 'Accept a missing or bad SHA256SUMS signature (reported as a warning).',
  default: false,
  helpGroup: 'SIGNATURES',
});
