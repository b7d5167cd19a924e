// Detached OpenPGP signature verification under an explicit, written policy
// (docs/SIGNATURE-POLICY.md). openpgp.js does the packet parsing and the
// cryptography; the time, binding and revocation rules are ours, because
// openpgp's own date-based checks judge a 2021 signature by key self-signatures
// made in 2026 and refuse both real HashiCorp cases.

import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

import * as openpgp from 'openpgp';
import type { Key, Signature, SignaturePacket, Subkey } from 'openpgp';

import { AirgapError } from '../errors.js';
import { ANY_TIME, errorText, hexPrefix } from './internal.js';
import { describeFingerprints, type PublicKeySet, type TrustedKey } from './keys.js';
import { MAX_SIGNATURE_PACKETS } from './policy.js';

export interface SignatureCheck {
  /** fingerprint (upper hex) of the key whose packet made the signature (primary or subkey) */
  signingKeyFingerprint: string;
  /** fingerprint of the trusted primary key it belongs to */
  primaryKeyFingerprint: string;
  created: Date;
  /** true when the signing (sub)key has expired since the signature was made */
  keyExpiredSince: boolean;
}

export interface VerifyDetachedSignatureInput {
  data: Uint8Array;
  /** Binary packets, or armored text (as a string or as bytes). */
  signature: Uint8Array | string;
  keys: PublicKeySet;
  /** What was signed, e.g. the file name; used in messages. */
  subject: string;
  /** The verification time; defaults to the current time. */
  now?: Date;
}

/** Why one signature packet, or one candidate key for it, was refused. */
interface Rejection {
  reason: string;
  expected: string;
  actual: string;
  cause?: unknown;
}

type Outcome = { ok: SignatureCheck } | { rejected: Rejection };

const CONFIG = openpgp.config;
const DOCUMENT_SIGNATURE_TYPES: readonly number[] = [
  openpgp.enums.signature.binary,
  openpgp.enums.signature.text,
];

/**
 * Accepts the signature iff at least one of its packets satisfies the policy against
 * a key in `keys`; otherwise throws SIGNATURE_INVALID naming `subject` and, per packet,
 * what was expected and what was found.
 */
export async function verifyDetachedSignature(input: VerifyDetachedSignatureInput): Promise<SignatureCheck> {
  const { data, keys, subject } = input;
  const now = input.now ?? new Date();
  const signature = await parseSignature(input.signature, subject);
  const message = await openpgp.createMessage({ binary: data });
  const literal = message.packets.findPacket(openpgp.enums.packet.literalData);
  if (literal === undefined) {
    // createMessage always makes one; this guards the typings, not a real case.
    throw new AirgapError('SIGNATURE_INVALID', `${subject}: cannot prepare the signed data`, {
      path: subject,
    });
  }
  const dataSha256 = createHash('sha256').update(data).digest('hex');

  // Each packet that names a trusted key costs a hash of the whole data; forged packets
  // are cheap to make, so a signature with more than a real signer ever writes is refused
  // before any is checked (release signatures carry one; re-signed files a few).
  if (signature.packets.length > MAX_SIGNATURE_PACKETS) {
    throw signatureInvalid(subject, [
      {
        reason: `the signature holds ${signature.packets.length} signature packets; at most ${MAX_SIGNATURE_PACKETS} are checked`,
        expected: `at most ${MAX_SIGNATURE_PACKETS} signature packets`,
        actual: `${signature.packets.length}`,
      },
    ]);
  }
  const rejections: Rejection[] = [];
  for (const packet of signature.packets) {
    const outcome = await checkPacket(packet, { literal, keys, now, data, dataSha256 });
    if ('ok' in outcome) return outcome.ok;
    rejections.push(outcome.rejected);
  }
  throw signatureInvalid(subject, rejections);
}

async function parseSignature(signature: Uint8Array | string, subject: string): Promise<Signature> {
  const expected = 'an OpenPGP signature, binary or armored';
  if (signature.length === 0) {
    throw signatureInvalid(subject, [{ reason: 'the signature is empty', expected, actual: '0 bytes' }]);
  }
  const armored =
    typeof signature === 'string'
      ? signature
      : (signature[0] ?? 0) & 0x80
        ? undefined // a binary packet header always has its top bit set
        : new TextDecoder().decode(signature);
  try {
    if (armored !== undefined) return await openpgp.readSignature({ armoredSignature: armored });
    return await openpgp.readSignature({ binarySignature: signature as Uint8Array });
  } catch (e) {
    const actual =
      armored !== undefined
        ? `armored text starting ${JSON.stringify(armored.slice(0, 30))}`
        : `${signature.length} bytes starting 0x${hexPrefix(signature as Uint8Array)}`;
    throw signatureInvalid(subject, [
      { reason: `the signature cannot be read (${errorText(e)})`, expected, actual, cause: e },
    ]);
  }
}

interface PacketContext {
  literal: object;
  keys: PublicKeySet;
  now: Date;
  data: Uint8Array;
  dataSha256: string;
}

interface Candidate {
  trusted: TrustedKey;
  /** The primary key itself, or one of its subkeys. */
  component: Key | Subkey;
}

async function checkPacket(sig: SignaturePacket, ctx: PacketContext): Promise<Outcome> {
  // Rule 1: a signature over a document, not a key certification passed off as one.
  if (sig.signatureType === null || !DOCUMENT_SIGNATURE_TYPES.includes(sig.signatureType)) {
    return rejected({
      reason: `signature packet has type ${hexByte(sig.signatureType)}, not a document signature`,
      expected: 'type 0x00 (binary document) or 0x01 (text document)',
      actual: `type ${hexByte(sig.signatureType)}`,
    });
  }
  const created = sig.created;
  if (created === null) {
    return rejected({
      reason: 'signature has no creation time',
      expected: 'a creation time',
      actual: 'none',
    });
  }

  // Rule 2: the issuer names a trusted primary key or subkey.
  const issuer = issuerOf(sig);
  const candidates = findCandidates(sig, ctx.keys);
  if (candidates.length === 0) {
    const trusted = describeFingerprints(ctx.keys);
    return rejected({
      reason: `signature was made by key ${issuer}, which is not a trusted key or subkey (trusted: ${trusted})`,
      expected: `a key or subkey of ${ctx.keys.keys.map((k) => k.fingerprint).join(', ') || 'a trusted key'}`,
      actual: issuer,
    });
  }

  // Several candidates only when two trusted copies share a key (or key IDs collide): any may vouch.
  const reasons: Rejection[] = [];
  for (const candidate of candidates) {
    const outcome = await checkCandidate(sig, created, candidate, ctx);
    if ('ok' in outcome) return outcome;
    reasons.push(outcome.rejected);
  }
  return rejected(mergeRejections(reasons));
}

async function checkCandidate(
  sig: SignaturePacket,
  created: Date,
  { trusted, component }: Candidate,
  ctx: PacketContext,
): Promise<Outcome> {
  const primary = trusted.key;
  const fp = component.getFingerprint().toUpperCase();
  const isSubkey = component instanceof openpgp.Subkey;
  const keyName = isSubkey ? `subkey ${fp} of ${describeKey(trusted)}` : `key ${describeKey(trusted)}`;
  const at = created.toISOString();

  // Rule 3: the cryptography, against this exact (sub)key. Judged at the signature's own
  // creation time, so openpgp's "created in the future" check cannot misfire.
  try {
    await sig.verify(
      component.keyPacket,
      sig.signatureType as openpgp.enums.signature,
      ctx.literal,
      created,
      true,
      CONFIG,
    );
  } catch (e) {
    return rejected({
      reason: `signature by ${keyName} does not verify over the ${ctx.data.length} bytes given (sha256 ${ctx.dataSha256}): ${errorText(e)}`,
      expected: `a valid signature by ${fp} over the data`,
      actual: errorText(e),
      cause: e,
    });
  }

  // Rule 4: the primary is self-certified and unrevoked; a subkey is bound, signing-capable, unrevoked.
  const primaryRevocation = await findRevocation(
    primary.revocationSignatures,
    primary,
    openpgp.enums.signature.keyRevocation,
    { key: primary.keyPacket },
  );
  if (primaryRevocation !== undefined) {
    return rejected({
      reason: `signature was made by ${keyName}, but primary key ${trusted.fingerprint} is revoked (${describeRevocation(primaryRevocation)})`,
      expected: 'an unrevoked primary key',
      actual: `revoked ${primaryRevocation.created?.toISOString() ?? ''}`.trim(),
    });
  }
  let selfCertification: SignaturePacket;
  try {
    ({ selfCertification } = await primary.getPrimaryUser(ANY_TIME, undefined, CONFIG));
  } catch (e) {
    return rejected({
      reason: `trusted key ${describeKey(trusted)} has no valid, unrevoked self-signed user ID (${errorText(e)})`,
      expected: 'a valid self-signature on a user ID',
      actual: errorText(e),
      cause: e,
    });
  }
  const primaryExpiry = await primary.getExpirationTime(undefined, CONFIG);
  if (primaryExpiry === null) {
    return rejected({
      reason: `trusted key ${describeKey(trusted)} has no valid self-signature to read its expiry from`,
      expected: 'a valid self-signature',
      actual: 'none',
    });
  }

  let componentExpiry: Date | number = primaryExpiry;
  let flags = selfCertification.keyFlags;
  if (component instanceof openpgp.Subkey) {
    const binding = await checkBinding(component, primary, keyName);
    if ('rejected' in binding) return binding;
    const { bindingSignature } = binding;
    flags = bindingSignature.keyFlags;
    componentExpiry = earliest(keyExpiry(component, bindingSignature), bindingSignature.getExpirationTime());
  }
  if (flags !== null && ((flags[0] ?? 0) & openpgp.enums.keyFlags.signData) === 0) {
    return rejected({
      reason: `signature was made by ${keyName}, which is not marked for signing (key flags ${hexByte(flags[0] ?? 0)})`,
      expected: 'key flags with "sign data" (0x02)',
      actual: `key flags ${hexByte(flags[0] ?? 0)}`,
    });
  }

  // Rule 5: made while the (sub)key and its primary were valid, and not after `now`.
  const keyCreated = component.getCreationTime();
  if (created < keyCreated || created < primary.getCreationTime()) {
    return rejected({
      reason: `signature made ${at} by ${keyName} predates the key, created ${keyCreated.toISOString()}`,
      expected: `a signature made at or after ${keyCreated.toISOString()}`,
      actual: `made ${at}`,
    });
  }
  const validUntil = earliest(componentExpiry, primaryExpiry);
  if (validUntil !== Infinity && created.getTime() >= validUntil.valueOf()) {
    const until = new Date(validUntil.valueOf()).toISOString();
    return rejected({
      reason: `signature made ${at} by ${keyName}, which had expired at ${until}`,
      expected: `a signature made before ${until}`,
      actual: `made ${at}`,
    });
  }
  if (created > ctx.now) {
    return rejected({
      reason: `signature made ${at} by ${keyName} is dated after the verification time ${ctx.now.toISOString()}`,
      expected: `a signature made at or before ${ctx.now.toISOString()}`,
      actual: `made ${at}`,
    });
  }
  const sigExpiry = sig.getExpirationTime();
  if (sigExpiry !== Infinity && ctx.now.getTime() >= sigExpiry.valueOf()) {
    const until = new Date(sigExpiry.valueOf()).toISOString();
    return rejected({
      reason: `signature made ${at} by ${keyName} carries its own expiry, ${until}, which has passed`,
      expected: `verification before ${until}`,
      actual: `verified at ${ctx.now.toISOString()}`,
    });
  }

  return {
    ok: {
      signingKeyFingerprint: fp,
      primaryKeyFingerprint: trusted.fingerprint,
      created,
      keyExpiredSince: validUntil !== Infinity && ctx.now.getTime() >= validUntil.valueOf(),
    },
  };
}

/**
 * The subkey's latest cryptographically valid binding signature, whatever its date: the
 * key holder's newest statement of the subkey's flags and expiry. A signing subkey must
 * also carry a valid primary-key binding (back-)signature, or anyone could bind a
 * stolen key as "their" subkey.
 */
async function checkBinding(
  subkey: Subkey,
  primary: Key,
  keyName: string,
): Promise<{ bindingSignature: SignaturePacket } | { rejected: Rejection }> {
  const bindData = { key: primary.keyPacket, bind: subkey.keyPacket };
  const revocation = await findRevocation(
    subkey.revocationSignatures,
    primary,
    openpgp.enums.signature.subkeyRevocation,
    bindData,
  );
  if (revocation !== undefined) {
    return rejected({
      reason: `signature was made by ${keyName}, which is revoked (${describeRevocation(revocation)})`,
      expected: 'an unrevoked signing subkey',
      actual: `revoked ${revocation.created?.toISOString() ?? ''}`.trim(),
    });
  }
  const bindingSignature = await latestValid(subkey.bindingSignatures, (s) =>
    s.verify(primary.keyPacket, openpgp.enums.signature.subkeyBinding, bindData, ANY_TIME, false, CONFIG),
  );
  if (bindingSignature === undefined) {
    return rejected({
      reason: `signature was made by ${keyName}, which has no valid binding signature from its primary key`,
      expected: 'a subkey binding signature by the primary key',
      actual: `${subkey.bindingSignatures.length} binding signature(s), none valid`,
    });
  }
  const back = bindingSignature.embeddedSignature;
  const backValid =
    back !== null &&
    (await succeeds(() =>
      back.verify(subkey.keyPacket, openpgp.enums.signature.keyBinding, bindData, ANY_TIME, false, CONFIG),
    ));
  if (!backValid) {
    return rejected({
      reason: `signature was made by ${keyName}, whose binding lacks a valid primary-key binding (back-)signature`,
      expected: 'an embedded primary-key binding signature made by the subkey',
      actual: back === null ? 'none' : 'invalid',
    });
  }
  return { bindingSignature };
}

/** The first revocation signature by the primary key that verifies, if any; every reason counts. */
async function findRevocation(
  revocations: SignaturePacket[],
  primary: Key,
  type: openpgp.enums.signature,
  dataToVerify: object,
): Promise<SignaturePacket | undefined> {
  for (const r of revocations) {
    if (await succeeds(() => r.verify(primary.keyPacket, type, dataToVerify, ANY_TIME, false, CONFIG)))
      return r;
  }
  return undefined;
}

async function latestValid(
  signatures: SignaturePacket[],
  verify: (s: SignaturePacket) => Promise<void>,
): Promise<SignaturePacket | undefined> {
  let latest: SignaturePacket | undefined;
  for (const s of signatures) {
    if (latest !== undefined && (s.created?.getTime() ?? 0) < (latest.created?.getTime() ?? 0)) continue;
    if (await succeeds(() => verify(s))) latest = s;
  }
  return latest;
}

async function succeeds(f: () => Promise<void>): Promise<boolean> {
  try {
    await f();
    return true;
  } catch {
    return false;
  }
}

function findCandidates(sig: SignaturePacket, keys: PublicKeySet): Candidate[] {
  const issuerFp =
    sig.issuerFingerprint === null ? undefined : Buffer.from(sig.issuerFingerprint).toString('hex');
  const out: Candidate[] = [];
  for (const trusted of keys.keys) {
    for (const component of trusted.key.getKeys()) {
      const matches =
        issuerFp !== undefined
          ? component.getFingerprint() === issuerFp
          : component.getKeyID().equals(sig.issuerKeyID);
      if (matches) out.push({ trusted, component });
    }
  }
  return out;
}

function issuerOf(sig: SignaturePacket): string {
  if (sig.issuerFingerprint !== null) return Buffer.from(sig.issuerFingerprint).toString('hex').toUpperCase();
  return sig.issuerKeyID.toHex().toUpperCase();
}

// Mirrors openpgp's getKeyExpirationTime (not exported): v4 expiry is seconds after key creation.
function keyExpiry(subkey: Subkey, binding: SignaturePacket): Date | number {
  if (binding.keyNeverExpires !== false || binding.keyExpirationTime === null) return Infinity;
  return new Date(subkey.getCreationTime().getTime() + binding.keyExpirationTime * 1000);
}

function earliest(a: Date | number, b: Date | number): Date | number {
  return a.valueOf() <= b.valueOf() ? a : b;
}

function describeKey(k: TrustedKey): string {
  return k.userId === '' ? k.fingerprint : `${k.fingerprint} (${k.userId})`;
}

// RFC 4880 5.2.3.23; openpgp's enums.read has no typing for this table.
const REVOCATION_REASONS: Record<number, string> = {
  0: 'no reason specified',
  1: 'key superseded',
  2: 'key compromised',
  3: 'key retired',
  32: 'user ID no longer valid',
};

function describeRevocation(r: SignaturePacket): string {
  const when = r.created === null ? 'undated' : r.created.toISOString();
  const flag = r.reasonForRevocationFlag;
  const why = flag === null ? 'no reason given' : (REVOCATION_REASONS[flag] ?? `reason ${flag}`);
  const text = r.reasonForRevocationString ? `: ${r.reasonForRevocationString}` : '';
  return `revoked ${when}, ${why}${text}`;
}

function hexByte(n: number | null): string {
  return n === null ? 'none' : `0x${n.toString(16).padStart(2, '0')}`;
}

function rejected(r: Rejection): { rejected: Rejection } {
  return { rejected: r };
}

function mergeRejections(rs: Rejection[]): Rejection {
  const [first, ...rest] = rs;
  if (first === undefined) return { reason: 'no candidate key', expected: 'a trusted key', actual: 'none' };
  if (rest.length === 0) return first;
  return {
    reason: rs.map((r) => r.reason).join('; '),
    expected: [...new Set(rs.map((r) => r.expected))].join(' | '),
    actual: [...new Set(rs.map((r) => r.actual))].join(' | '),
    cause: first.cause,
  };
}

function signatureInvalid(subject: string, rejections: Rejection[]): AirgapError {
  const r = mergeRejections(rejections);
  const reason =
    rejections.length <= 1
      ? r.reason
      : `none of its ${rejections.length} signature packets is acceptable: ` +
        rejections.map((x, i) => `${i + 1}) ${x.reason}`).join('; ');
  return new AirgapError('SIGNATURE_INVALID', `signature of ${subject}: ${reason}`, {
    path: subject,
    expected: r.expected,
    actual: r.actual,
    ...(r.cause === undefined ? {} : { cause: r.cause }),
  });
}
