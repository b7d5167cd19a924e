// The signature policy's version and limits (docs/SIGNATURE-POLICY.md), apart from
// verify.ts so that naming them loads no openpgp (./openpgp.ts).

export const SIGNATURE_POLICY_VERSION = 1;

/** More signature packets than this in one detached signature are refused unchecked. */
export const MAX_SIGNATURE_PACKETS = 8;
