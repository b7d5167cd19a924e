// OpenPGP detached-signature verification under docs/SIGNATURE-POLICY.md.
//
// The policy (verify.ts, and openpgp.js with it) is loaded on the first signature
// checked, not at start-up: see ./openpgp.ts.

import type { SignatureCheck, VerifyDetachedSignatureInput } from './verify.js';

export {
  describeFingerprints,
  fingerprintMatches,
  mergePublicKeySets,
  normalizeFingerprint,
  pinPublicKeys,
  readPublicKeys,
  type PublicKeySet,
  type TrustedKey,
} from './keys.js';
export { MAX_SIGNATURE_PACKETS, SIGNATURE_POLICY_VERSION } from './policy.js';
export type { SignatureCheck, VerifyDetachedSignatureInput } from './verify.js';

/**
 * Accepts the signature iff at least one of its packets satisfies the policy against
 * a key in `keys`; otherwise throws SIGNATURE_INVALID naming `subject` and, per packet,
 * what was expected and what was found.
 */
export async function verifyDetachedSignature(input: VerifyDetachedSignatureInput): Promise<SignatureCheck> {
  const policy = await import('./verify.js');
  return policy.verifyDetachedSignature(input);
}
