// Trusted OpenPGP public keys: reading them (armored or binary, one or many),
// naming them in messages, and pinning them by fingerprint.

import type { Key } from 'openpgp';

import { AirgapError } from '../errors.js';
import { ANY_TIME, errorText, hexPrefix } from './internal.js';
import { loadOpenpgp } from './openpgp.js';

export interface TrustedKey {
  /** Upper-hex fingerprint of the primary key. */
  fingerprint: string;
  /** The first user ID, or "" when the key has none; for messages only. */
  userId: string;
  /** Where the key was read from (a file name, a URL, "--trusted-key"); for messages only. */
  source: string;
  key: Key;
}

export interface PublicKeySet {
  readonly keys: readonly TrustedKey[];
}

const ARMORED_KEY_RE =
  /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g;

/**
 * Reads one or many public keys. A string must be ASCII-armored; bytes may be binary
 * packets or armored text. Several armored blocks one after another (`cat a.asc b.asc`)
 * are all read. Throws KEY_INVALID, naming `source`, on anything else.
 */
export async function readPublicKeys(
  material: string | Uint8Array,
  source = 'trusted keys',
): Promise<PublicKeySet> {
  const keys = await parseKeys(material, source);
  if (keys.length === 0) {
    throw keyInvalid(source, 'no public key found', 'at least one OpenPGP public key', 'no keys');
  }
  const trusted: TrustedKey[] = [];
  for (const key of keys) {
    const fingerprint = key.getFingerprint().toUpperCase();
    // A secret key as a trust anchor means a secret ended up where public material belongs.
    if (key.isPrivate()) {
      throw keyInvalid(
        source,
        `contains the PRIVATE key ${fingerprint}; pass only its public key`,
        'a public key',
        'a private key',
      );
    }
    // The signature policy (docs/SIGNATURE-POLICY.md) reads v4 self-signatures; v6 keys keep
    // their validity in direct-key signatures, which it does not cover yet.
    if (key.keyPacket.version !== 4) {
      throw keyInvalid(
        source,
        `key ${fingerprint} is a version ${key.keyPacket.version} key; only version 4 keys are supported`,
        'a version 4 key',
        `version ${key.keyPacket.version}`,
      );
    }
    // A flipped byte in key material still parses, as a different key; its self-signatures then fail.
    if (!(await hasValidSelfCertification(key))) {
      throw keyInvalid(
        source,
        `key ${fingerprint} has no valid self-signature on any user ID (corrupt or tampered key material)`,
        'a user ID self-signed by the key',
        'no valid self-signature',
      );
    }
    trusted.push({ fingerprint, userId: key.getUserIDs()[0] ?? '', source, key });
  }
  return { keys: trusted };
}

async function hasValidSelfCertification(key: Key): Promise<boolean> {
  const openpgp = await loadOpenpgp();
  for (const user of key.users) {
    if (user.userID === null) continue;
    for (const cert of user.selfCertifications) {
      try {
        const data = { userID: user.userID, key: key.keyPacket };
        await cert.verify(
          key.keyPacket,
          openpgp.enums.signature.certGeneric,
          data,
          ANY_TIME,
          false,
          openpgp.config,
        );
        return true;
      } catch {
        // try the next one
      }
    }
  }
  return false;
}

async function parseKeys(material: string | Uint8Array, source: string): Promise<Key[]> {
  if (material.length === 0) {
    throw keyInvalid(
      source,
      'empty, no public key material',
      'an OpenPGP public key, armored or binary',
      '0 bytes',
    );
  }
  const openpgp = await loadOpenpgp();
  // A binary OpenPGP packet header always has its top bit set; armored text never does.
  if (typeof material !== 'string' && ((material[0] ?? 0) & 0x80) !== 0) {
    try {
      return await openpgp.readKeys({ binaryKeys: material });
    } catch (e) {
      throw keyInvalid(
        source,
        `cannot be read as binary OpenPGP keys (${errorText(e)})`,
        'OpenPGP public key packets',
        `${material.length} bytes starting 0x${hexPrefix(material)}`,
        e,
      );
    }
  }
  const text = typeof material === 'string' ? material : new TextDecoder().decode(material);
  const blocks = text.match(ARMORED_KEY_RE) ?? [];
  if (blocks.length === 0) {
    throw keyInvalid(
      source,
      'neither an armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----") nor a binary OpenPGP public key',
      'an armored or binary OpenPGP public key',
      JSON.stringify(text.slice(0, 40)),
    );
  }
  const keys: Key[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      keys.push(...(await openpgp.readKeys({ armoredKeys: block })));
    } catch (e) {
      throw keyInvalid(
        source,
        `armored key block ${i + 1} of ${blocks.length} cannot be read (${errorText(e)})`,
        'a valid armored OpenPGP public key block',
        errorText(e),
        e,
      );
    }
  }
  return keys;
}

/** The keys of several sets, in order; the same key from two sources stays twice (both are tried). */
export function mergePublicKeySets(...sets: PublicKeySet[]): PublicKeySet {
  return { keys: sets.flatMap((s) => s.keys) };
}

/**
 * Upper-hex fingerprint from user input: spaces and a 0x prefix are dropped. Only full
 * fingerprints (40 hex digits for v4 keys, 64 for v6) pin a key; short and long key IDs
 * can be forged, so they are refused.
 */
export function normalizeFingerprint(text: string): string {
  const fp = text.replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
  if (!/^(?:[0-9A-F]{40}|[0-9A-F]{64})$/.test(fp)) {
    throw new AirgapError(
      'USAGE',
      `invalid key fingerprint "${text}": expected a full fingerprint of 40 (or 64) hex digits, not a key ID`,
      { expected: '40 or 64 hex digits', actual: text },
    );
  }
  return fp;
}

/** True when `actual` and `pinned` name the same key; `pinned` must be a full fingerprint. */
export function fingerprintMatches(actual: string, pinned: string): boolean {
  return normalizeFingerprint(actual) === normalizeFingerprint(pinned);
}

/**
 * Keeps only the keys whose primary fingerprint is pinned. Every pin must be found:
 * a pin that matches nothing means the key material is not the key the user meant.
 */
export function pinPublicKeys(set: PublicKeySet, pinned: readonly string[]): PublicKeySet {
  const pins = pinned.map(normalizeFingerprint);
  for (const pin of pins) {
    if (!set.keys.some((k) => k.fingerprint === pin)) {
      const found = describeFingerprints(set);
      throw new AirgapError(
        'KEY_INVALID',
        `no trusted key has the pinned fingerprint ${pin} (found: ${found})`,
        {
          path: [...new Set(set.keys.map((k) => k.source))].join(', '),
          expected: pin,
          actual: found,
        },
      );
    }
  }
  return { keys: set.keys.filter((k) => pins.includes(k.fingerprint)) };
}

/** "FP (user id), FP2 (user id)" or "none", for messages. */
export function describeFingerprints(set: PublicKeySet): string {
  if (set.keys.length === 0) return 'none';
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const k of set.keys) {
    if (seen.has(k.fingerprint)) continue;
    seen.add(k.fingerprint);
    parts.push(k.userId === '' ? k.fingerprint : `${k.fingerprint} (${k.userId})`);
  }
  return parts.join(', ');
}

function keyInvalid(
  source: string,
  what: string,
  expected: string,
  actual: string,
  cause?: unknown,
): AirgapError {
  return new AirgapError('KEY_INVALID', `${source}: ${what}`, {
    path: source,
    expected,
    actual,
    ...(cause === undefined ? {} : { cause }),
  });
}
