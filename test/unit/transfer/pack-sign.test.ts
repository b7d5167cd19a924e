// Signing SHA256SUMS for the transfer tarball: the key checks (public key, missing or
// wrong passphrase, a date before the key), reproducible signature bytes, and that what
// is made passes our own signature policy.

import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import { readPublicKeys, verifyDetachedSignature } from '../../../src/core/signature/index.js';
import { readSigningKey, signChecksums } from '../../../src/core/transfer/pack-sign.js';
import { generateSigningKey, type TestKey } from '../../helpers/pgp.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const SUMS = enc('ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356  airgap.json\n');
const AT = new Date('2020-01-01T00:00:00Z');

async function rejected(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected a failure, but the call succeeded');
}

let key: TestKey;
let encrypted: string;

beforeAll(async () => {
  key = await generateSigningKey({ date: new Date('2019-06-01T00:00:00Z') });
  const pk = await openpgp.readPrivateKey({ armoredKey: key.privateKeyArmored });
  encrypted = (await openpgp.encryptKey({ privateKey: pk, passphrase: 'correct horse' })).armor();
});

describe('readSigningKey', () => {
  it('reads an armored private key', async () => {
    const s = await readSigningKey(enc(key.privateKeyArmored), 'k.asc');
    expect(s.fingerprint).toBe(key.fingerprint);
    expect(s.userId).toBe('airgap test signer <signer@airgap.test>');
  });

  it('unlocks an encrypted key with the passphrase, and names what is wrong otherwise', async () => {
    const s = await readSigningKey(enc(encrypted), 'enc.asc', 'correct horse');
    expect(s.key.isDecrypted()).toBe(true);
    const none = await rejected(readSigningKey(enc(encrypted), 'enc.asc'));
    expect(none.code).toBe('SIGN_KEY_INVALID');
    expect(none.message).toBe(
      `enc.asc: key ${key.fingerprint} is protected by a passphrase: set AIRGAP_SIGN_PASSPHRASE`,
    );
    const wrong = await rejected(readSigningKey(enc(encrypted), 'enc.asc', 'battery staple'));
    expect(wrong.code).toBe('SIGN_KEY_INVALID');
    expect(wrong.message).toBe(
      `enc.asc: cannot unlock key ${key.fingerprint} with the passphrase in AIRGAP_SIGN_PASSPHRASE (Error decrypting private key: Incorrect key passphrase)`,
    );
  });

  it('refuses a public key, an empty file and text that is no key', async () => {
    const pub = await rejected(readSigningKey(enc(key.publicKeyArmored), 'pub.asc'));
    expect(pub.code).toBe('SIGN_KEY_INVALID');
    expect(pub.message).toBe(
      'pub.asc: holds a PUBLIC key; signing needs the private key (gpg --export-secret-keys --armor KEYID)',
    );
    expect(pub.details).toMatchObject({ expected: 'an armored OpenPGP private key', actual: 'a public key' });
    expect((await rejected(readSigningKey(new Uint8Array(), 'e.asc'))).message).toBe('e.asc: is empty');
    expect((await rejected(readSigningKey(enc('hello'), 'h.txt'))).message).toBe(
      'h.txt: is not an armored OpenPGP private key ("-----BEGIN PGP PRIVATE KEY BLOCK-----")',
    );
  });
});

describe('signChecksums', () => {
  it('makes the same binary signature twice for the same key, data and date, and our policy accepts it', async () => {
    const s = await readSigningKey(enc(key.privateKeyArmored), 'k.asc');
    const a = await signChecksums(SUMS, s, AT, 'SHA256SUMS');
    const b = await signChecksums(SUMS, s, AT, 'SHA256SUMS');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(a[0]! & 0x80).toBe(0x80); // binary packets, not armor
    const later = await signChecksums(SUMS, s, new Date('2021-01-01T00:00:00Z'), 'SHA256SUMS');
    expect(Buffer.from(later).equals(Buffer.from(a))).toBe(false);

    const check = await verifyDetachedSignature({
      data: SUMS,
      signature: a,
      keys: await readPublicKeys(key.publicKeyArmored, 'pub'),
      subject: 'SHA256SUMS',
    });
    expect(check.primaryKeyFingerprint).toBe(key.fingerprint);
    expect(check.created.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    const sig = await openpgp.readSignature({ binarySignature: a });
    expect(sig.packets[0]!.rawNotations).toEqual([]); // no random salt notation
  });

  it('refuses a signature date before the key existed', async () => {
    const s = await readSigningKey(enc(key.privateKeyArmored), 'k.asc');
    const e = await rejected(signChecksums(SUMS, s, new Date('2019-01-01T00:00:00Z'), 'SHA256SUMS'));
    expect(e.code).toBe('SIGN_KEY_INVALID');
    expect(e.message).toBe(
      `k.asc: the signature date 2019-01-01T00:00:00.000Z (SOURCE_DATE_EPOCH, else the clock) is before key ${key.fingerprint} was created (2019-06-01T00:00:00.000Z)`,
    );
  });
});
