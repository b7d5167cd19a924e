// Signing the transfer tarball's SHA256SUMS: reading the --sign-key private key
// (unlocking it with the passphrase), making the detached binary signature that
// `gpg --verify SHA256SUMS.sig SHA256SUMS` accepts, and checking it against our
// own signature policy before it crosses the gap, so that `airgap import` on the
// other side accepts what export produced.
//
// Determinism: the signature's creation time is SOURCE_DATE_EPOCH when set, and
// openpgp's random "salt" notation (nonDeterministicSignaturesViaNotation, a fault-
// attack hardening for EdDSA) is turned off, so RSA and Ed25519 keys give the same
// bytes for the same input. ECDSA (NIST curves) signatures stay randomized.

import type { Key, PrivateKey } from 'openpgp';

import { AirgapError } from '../errors.js';
import { readPublicKeys, verifyDetachedSignature } from '../signature/index.js';
import { loadOpenpgp } from '../signature/openpgp.js';

export interface SigningKey {
  /** Upper-hex fingerprint of the primary key. */
  fingerprint: string;
  /** The first user ID, for messages. */
  userId: string;
  key: PrivateKey;
  source: string;
}

const PUBLIC_BLOCK = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const PRIVATE_BLOCK = '-----BEGIN PGP PRIVATE KEY BLOCK-----';

function invalid(
  source: string,
  message: string,
  expected: string,
  actual: string,
  cause?: unknown,
): AirgapError {
  return new AirgapError(
    'SIGN_KEY_INVALID',
    `${source}: ${message}`,
    { path: source, expected, actual, ...(cause === undefined ? {} : { cause }) },
    'pass an armored OpenPGP private key to --sign-key (gpg --export-secret-keys --armor KEYID); set AIRGAP_SIGN_PASSPHRASE when it is encrypted',
  );
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function parsePrivateKey(material: Uint8Array, source: string): Promise<PrivateKey> {
  if (material.length === 0) throw invalid(source, 'is empty', 'an OpenPGP private key', '0 bytes');
  const binary = ((material[0] ?? 0) & 0x80) !== 0;
  const text = binary ? '' : new TextDecoder().decode(material);
  if (!binary && !text.includes(PRIVATE_BLOCK)) {
    const actual = text.includes(PUBLIC_BLOCK) ? 'a public key' : JSON.stringify(text.slice(0, 40));
    const hint = text.includes(PUBLIC_BLOCK)
      ? 'holds a PUBLIC key; signing needs the private key (gpg --export-secret-keys --armor KEYID)'
      : `is not an armored OpenPGP private key ("${PRIVATE_BLOCK}")`;
    throw invalid(source, hint, 'an armored OpenPGP private key', actual);
  }
  const openpgp = await loadOpenpgp();
  let key: Key;
  try {
    key = binary
      ? await openpgp.readKey({ binaryKey: material })
      : await openpgp.readKey({ armoredKey: text });
  } catch (e) {
    throw invalid(
      source,
      `cannot be read as an OpenPGP private key (${errorText(e)})`,
      'an OpenPGP private key',
      errorText(e),
      e,
    );
  }
  if (!key.isPrivate()) {
    throw invalid(
      source,
      'holds a PUBLIC key; signing needs the private key (gpg --export-secret-keys --armor KEYID)',
      'a private key',
      'a public key',
    );
  }
  return key;
}

/**
 * Reads an armored (or binary) OpenPGP private key and unlocks it with `passphrase`
 * when it is encrypted. Throws SIGN_KEY_INVALID naming `source` for a public key, a
 * missing or wrong passphrase, or a key version the import side cannot verify.
 */
export async function readSigningKey(
  material: Uint8Array,
  source: string,
  passphrase?: string,
): Promise<SigningKey> {
  let key = await parsePrivateKey(material, source);
  const fingerprint = key.getFingerprint().toUpperCase();
  // docs/SIGNATURE-POLICY.md covers v4 keys; a v6 signature would also carry a random salt.
  if (key.keyPacket.version !== 4) {
    throw invalid(
      source,
      `key ${fingerprint} is a version ${key.keyPacket.version} key; airgap signs and verifies with version 4 keys only`,
      'a version 4 key',
      `version ${key.keyPacket.version}`,
    );
  }
  if (!key.isDecrypted()) {
    if (passphrase === undefined || passphrase === '') {
      throw invalid(
        source,
        `key ${fingerprint} is protected by a passphrase: set AIRGAP_SIGN_PASSPHRASE`,
        'a passphrase in AIRGAP_SIGN_PASSPHRASE',
        'none set',
      );
    }
    const openpgp = await loadOpenpgp();
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (e) {
      throw invalid(
        source,
        `cannot unlock key ${fingerprint} with the passphrase in AIRGAP_SIGN_PASSPHRASE (${errorText(e)})`,
        'the passphrase the key was protected with',
        'a passphrase that does not unlock it',
        e,
      );
    }
  }
  return { fingerprint, userId: key.getUserIDs()[0] ?? '', key, source };
}

/**
 * A detached binary signature over `data` made at `date` (SOURCE_DATE_EPOCH for
 * reproducible output; the current time otherwise), checked against the key's public
 * half under docs/SIGNATURE-POLICY.md before it is returned.
 */
export async function signChecksums(
  data: Uint8Array,
  signer: SigningKey,
  date: Date,
  subject: string,
): Promise<Uint8Array> {
  const created = signer.key.getCreationTime();
  if (date.getTime() < created.getTime()) {
    throw invalid(
      signer.source,
      `the signature date ${date.toISOString()} (SOURCE_DATE_EPOCH, else the clock) is before key ${signer.fingerprint} was created (${created.toISOString()})`,
      `a date after ${created.toISOString()}`,
      date.toISOString(),
    );
  }
  const openpgp = await loadOpenpgp();
  let signature: Uint8Array;
  try {
    signature = await openpgp.sign({
      message: await openpgp.createMessage({ binary: data }),
      signingKeys: signer.key,
      detached: true,
      format: 'binary',
      date,
      config: { nonDeterministicSignaturesViaNotation: false },
    });
  } catch (e) {
    throw invalid(
      signer.source,
      `key ${signer.fingerprint} cannot sign at ${date.toISOString()} (${errorText(e)}); is it expired, revoked, or without a signing (sub)key?`,
      'a key valid for signing at the signature date',
      errorText(e),
      e,
    );
  }
  const keys = await readPublicKeys(signer.key.toPublic().armor(), signer.source);
  await verifyDetachedSignature({ data, signature, keys, subject });
  return signature;
}
