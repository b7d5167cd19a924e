// readPublicKeys and fingerprint pinning, with the real HashiCorp and OpenTofu keys.
import { readFileSync } from 'node:fs';

import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import {
  describeFingerprints,
  fingerprintMatches,
  mergePublicKeySets,
  normalizeFingerprint,
  pinPublicKeys,
  readPublicKeys,
} from '../../../src/core/signature/index.js';
import { generateSigningKey } from '../../helpers/pgp.js';
import { realdata } from '../../helpers/realdata.js';

const key = (name: string): Buffer => readFileSync(realdata('keys', name));

const HASHICORP = 'C874011F0AB405110D02105534365D9472D7468F';
const HASHICORP_UID = 'HashiCorp Security (hashicorp.com/security) <security@hashicorp.com>';
const OPENTOFU = 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80';
const OPENTOFU_UID = 'OpenTofu (This key is used to sign opentofu providers) <core@opentofu.org>';
const PARTNERS = '51890657C5ACDB4B823086567D72D4268E4660FC';

async function rejection(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected a failure, but the call succeeded');
}

function caught(f: () => unknown): AirgapError {
  try {
    f();
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected a failure, but the call succeeded');
}

describe('readPublicKeys', () => {
  it('reads an armored key given as a string', async () => {
    const set = await readPublicKeys(
      key('hashicorp_HashicorpPublicKey_from_terraform_public_keys.go.asc').toString('utf8'),
      'public_keys.go',
    );
    expect(set.keys.map((k) => [k.fingerprint, k.userId, k.source])).toEqual([
      [HASHICORP, HASHICORP_UID, 'public_keys.go'],
    ]);
    expect(set.keys[0]?.key.subkeys.map((s) => s.getFingerprint().toUpperCase())).toEqual([
      'E091216D7CC258B2EB97DC3654422F612379BA9A',
      'B36CBA91A2C0730C435FC280B0B441097685B676',
      '374EC75B485913604A831CC7C820C6D5CD27AB87',
    ]);
  });

  it('reads a binary key, and an armored key given as bytes, to the same fingerprint', async () => {
    const binary = await readPublicKeys(key('opentofu_get.opentofu.org_static_opentofu.gpg'), 'opentofu.gpg');
    const armored = await readPublicKeys(
      key('opentofu_get.opentofu.org_static_opentofu.asc'),
      'opentofu.asc',
    );
    expect(binary.keys.map((k) => [k.fingerprint, k.userId])).toEqual([[OPENTOFU, OPENTOFU_UID]]);
    expect(armored.keys.map((k) => k.fingerprint)).toEqual([OPENTOFU]);
  });

  it('reads several armored blocks one after another (as the registry gives several signing keys)', async () => {
    const text = [
      key('opentofu_release_signing_key_E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80_from_tofudl.asc').toString(),
      key('hashicorp_HashicorpPartnersKey_from_terraform_public_keys.go.asc').toString(),
      key('hashicorp_HashicorpPublicKey_from_terraform_public_keys.go.asc').toString(),
    ].join('\n');
    const set = await readPublicKeys(text, 'signing_keys');
    expect(set.keys.map((k) => k.fingerprint)).toEqual([OPENTOFU, PARTNERS, HASHICORP]);
  });

  it('refuses empty material', async () => {
    const err = await rejection(readPublicKeys(new Uint8Array(0), 'keys/empty.asc'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toBe('keys/empty.asc: empty, no public key material');
    expect(err.details).toMatchObject({ path: 'keys/empty.asc', actual: '0 bytes' });
  });

  it('refuses text without key armor, naming the source and what it found', async () => {
    const err = await rejection(readPublicKeys('hello, I am not a key', '--trusted-key notakey.txt'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toBe(
      '--trusted-key notakey.txt: neither an armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----") nor a binary OpenPGP public key',
    );
    expect(err.details).toMatchObject({
      path: '--trusted-key notakey.txt',
      expected: 'an armored or binary OpenPGP public key',
      actual: '"hello, I am not a key"',
    });
  });

  it('refuses an armored signature given as a key', async () => {
    const sig = readFileSync(
      realdata('keys', 'signed-sums', 'terraform_1.9.8_real', 'terraform_1.9.8_SHA256SUMS.sig'),
    );
    const armored = (await openpgp.readSignature({ binarySignature: sig })).armor();
    const err = await rejection(readPublicKeys(armored, 'sig-as-key.asc'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toContain(
      'sig-as-key.asc: neither an armored ("-----BEGIN PGP PUBLIC KEY BLOCK-----") nor a binary',
    );
  });

  it('refuses key material with a flipped byte: it parses, as a key whose self-signature fails', async () => {
    const binary = Uint8Array.from(key('opentofu_get.opentofu.org_static_opentofu.gpg'));
    binary[100] = (binary[100] ?? 0) ^ 0x01; // inside the RSA modulus
    const err = await rejection(readPublicKeys(binary, 'flipped.gpg'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toMatch(
      /^flipped\.gpg: key [0-9A-F]{40} has no valid self-signature on any user ID \(corrupt or tampered key material\)$/,
    );
    expect(err.message).not.toContain(OPENTOFU);
    expect(err.details).toMatchObject({ path: 'flipped.gpg', actual: 'no valid self-signature' });
  });

  it('refuses an armored block cut short', async () => {
    const lines = key('opentofu_get.opentofu.org_static_opentofu.asc').toString().split('\n');
    const cut = [...lines.slice(0, 6), ...lines.slice(-3)].join('\n');
    const err = await rejection(readPublicKeys(cut, 'cut.asc'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toMatch(/^cut\.asc: armored key block 1 of 1 cannot be read \(.+\)$/);
    expect(err.details.path).toBe('cut.asc');
  });

  it('refuses binary bytes that are not key packets', async () => {
    const err = await rejection(readPublicKeys(Uint8Array.from([0x99, 0x01, 0x02, 0x03]), 'junk.gpg'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toMatch(/^junk\.gpg: cannot be read as binary OpenPGP keys \(.+\)$/);
    expect(err.details.actual).toBe('4 bytes starting 0x99010203');
  });

  it('refuses a private key', async () => {
    const k = await generateSigningKey({ date: new Date('2020-01-01T00:00:00Z') });
    const err = await rejection(readPublicKeys(k.privateKeyArmored, 'secret.asc'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toBe(
      `secret.asc: contains the PRIVATE key ${k.fingerprint}; pass only its public key`,
    );
    expect(err.details).toMatchObject({ expected: 'a public key', actual: 'a private key' });
  });

  it('refuses a version 6 key, which the policy does not cover', async () => {
    const { publicKey } = await openpgp.generateKey({
      userIDs: [{ name: 'v6' }],
      type: 'curve25519',
      config: { v6Keys: true },
    });
    const err = await rejection(readPublicKeys(publicKey, 'v6.asc'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toMatch(/^v6\.asc: key [0-9A-F]{64} is a version 6 key; only version 4 keys/);
    expect(err.details).toMatchObject({ expected: 'a version 4 key', actual: 'version 6' });
  });
});

describe('fingerprints', () => {
  it('normalizes spaces, 0x and case, and refuses key IDs', () => {
    expect(normalizeFingerprint('c874 011f 0ab4 0511 0d02  1055 3436 5d94 72d7 468f')).toBe(HASHICORP);
    expect(normalizeFingerprint(`0x${OPENTOFU.toLowerCase()}`)).toBe(OPENTOFU);
    const err = caught(() => normalizeFingerprint('34365D9472D7468F'));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe(
      'invalid key fingerprint "34365D9472D7468F": expected a full fingerprint of 40 (or 64) hex digits, not a key ID',
    );
  });

  it('fingerprintMatches compares normalized full fingerprints', () => {
    expect(fingerprintMatches(HASHICORP, 'c874011f0ab405110d02105534365d9472d7468f')).toBe(true);
    expect(fingerprintMatches(HASHICORP, OPENTOFU)).toBe(false);
  });

  it('pinPublicKeys keeps only pinned keys, and refuses a pin that matches nothing', async () => {
    const all = mergePublicKeySets(
      await readPublicKeys(key('opentofu_get.opentofu.org_static_opentofu.asc'), 'opentofu.asc'),
      await readPublicKeys(
        key('hashicorp_HashicorpPublicKey_from_terraform_public_keys.go.asc'),
        'hashicorp.asc',
      ),
    );
    expect(describeFingerprints(all)).toBe(`${OPENTOFU} (${OPENTOFU_UID}), ${HASHICORP} (${HASHICORP_UID})`);
    expect(pinPublicKeys(all, [HASHICORP.toLowerCase()]).keys.map((k) => k.fingerprint)).toEqual([HASHICORP]);

    const err = caught(() => pinPublicKeys(all, [PARTNERS]));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toBe(
      `no trusted key has the pinned fingerprint ${PARTNERS} (found: ${OPENTOFU} (${OPENTOFU_UID}), ${HASHICORP} (${HASHICORP_UID}))`,
    );
    expect(err.details).toMatchObject({ path: 'opentofu.asc, hashicorp.asc', expected: PARTNERS });
  });
});
