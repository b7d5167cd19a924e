// OpenPGP detached-signature verification under docs/SIGNATURE-POLICY.md.

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
export {
  MAX_SIGNATURE_PACKETS,
  SIGNATURE_POLICY_VERSION,
  verifyDetachedSignature,
  type SignatureCheck,
  type VerifyDetachedSignatureInput,
} from './verify.js';
