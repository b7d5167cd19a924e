// verifyDetachedSignature against the real HashiCorp and OpenTofu release signatures,
// and against throwaway keys made here for each way a signature must be refused.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import {
  MAX_SIGNATURE_PACKETS,
  mergePublicKeySets,
  readPublicKeys,
  verifyDetachedSignature,
  type PublicKeySet,
} from '../../../src/core/signature/index.js';
import { generateSigningKey, signDetached } from '../../helpers/pgp.js';
import { realdata } from '../../helpers/realdata.js';

const key = (name: string): Buffer => readFileSync(realdata('keys', name));
const signed = (...parts: string[]): Buffer => readFileSync(realdata('keys', 'signed-sums', ...parts));

const HASHICORP = 'C874011F0AB405110D02105534365D9472D7468F';
const HASHICORP_EXPIRED_SUBKEY = 'B36CBA91A2C0730C435FC280B0B441097685B676';
const HASHICORP_CURRENT_SUBKEY = '374EC75B485913604A831CC7C820C6D5CD27AB87';
const OPENTOFU = 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80';
const HC_INSTALL_TEST = '719106194588D5BF6D670723B5EEA6B02FCA0A85';
const TEST_AUTHOR = '5BFEEC4317E746008621970637A6AB3BCF2C170A';

// Fixed, after the older HashiCorp copy expired (2026-04-18) and before the current one does (2030-03-01).
const NOW = new Date('2026-08-01T00:00:00Z');

const hashicorp = await readPublicKeys(
  key('hashicorp_HashicorpPublicKey_from_terraform_public_keys.go.asc'),
  'terraform public_keys.go',
);
const hashicorpOld = await readPublicKeys(
  key('opentofu-repo_TestingPublicKey_from_opentofu_public_keys.go.asc'),
  'opentofu TestingPublicKey',
);
const opentofuArmored = await readPublicKeys(
  key('opentofu_get.opentofu.org_static_opentofu.asc'),
  'opentofu.asc',
);
const opentofuBinary = await readPublicKeys(
  key('opentofu_get.opentofu.org_static_opentofu.gpg'),
  'opentofu.gpg',
);

const NULL_SUMS = signed('terraform-provider-null_3.1.0', 'terraform-provider-null_3.1.0_SHA256SUMS');
const NULL_SIG = signed('terraform-provider-null_3.1.0', 'terraform-provider-null_3.1.0_SHA256SUMS.sig');
const TF_SUMS = signed('terraform_1.9.8_real', 'terraform_1.9.8_SHA256SUMS');
const TF_SIG = signed('terraform_1.9.8_real', 'terraform_1.9.8_SHA256SUMS.sig');
const TOFU_SUMS = signed('tofu_1.8.5_real', 'tofu_1.8.5_SHA256SUMS');
const TOFU_SIG = signed('tofu_1.8.5_real', 'tofu_1.8.5_SHA256SUMS.gpgsig');

async function rejection(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected verification to fail, but it passed');
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('real release signatures', () => {
  it('accepts null 3.1.0, signed in 2021 by the HashiCorp subkey that expired in 2022 (current key copy)', async () => {
    const check = await verifyDetachedSignature({
      data: NULL_SUMS,
      signature: NULL_SIG,
      keys: hashicorp,
      subject: 'terraform-provider-null_3.1.0_SHA256SUMS',
      now: NOW,
    });
    expect(check).toEqual({
      signingKeyFingerprint: HASHICORP_EXPIRED_SUBKEY,
      primaryKeyFingerprint: HASHICORP,
      created: new Date('2021-04-22T17:16:54.000Z'),
      keyExpiredSince: true,
    });
  });

  it('accepts null 3.1.0 with the OLDER copy of the HashiCorp key kept in the opentofu repo', async () => {
    const check = await verifyDetachedSignature({
      data: NULL_SUMS,
      signature: NULL_SIG,
      keys: hashicorpOld,
      subject: 'terraform-provider-null_3.1.0_SHA256SUMS',
      now: NOW,
    });
    expect(check.signingKeyFingerprint).toBe(HASHICORP_EXPIRED_SUBKEY);
    expect(check.primaryKeyFingerprint).toBe(HASHICORP);
    expect(check.created.toISOString()).toBe('2021-04-22T17:16:54.000Z');
    expect(check.keyExpiredSince).toBe(true);
  });

  it('accepts the hc-install copy of the HashiCorp key, and uses the clock when no `now` is given', async () => {
    const keys = await readPublicKeys(
      key('hashicorp_DefaultPublicKey_from_hc-install_pubkey.go.asc'),
      'hc-install',
    );
    const check = await verifyDetachedSignature({
      data: NULL_SUMS,
      signature: NULL_SIG,
      keys,
      subject: 'null',
    });
    expect(check.signingKeyFingerprint).toBe(HASHICORP_EXPIRED_SUBKEY);
    expect(check.keyExpiredSince).toBe(true);
  });

  it('accepts terraform 1.9.8, signed in 2024 by the current subkey whose binding was re-made in 2026', async () => {
    const check = await verifyDetachedSignature({
      data: TF_SUMS,
      signature: TF_SIG,
      keys: hashicorp,
      subject: 'terraform_1.9.8_SHA256SUMS',
      now: NOW,
    });
    expect(check).toEqual({
      signingKeyFingerprint: HASHICORP_CURRENT_SUBKEY,
      primaryKeyFingerprint: HASHICORP,
      created: new Date('2024-10-16T13:07:54.000Z'),
      keyExpiredSince: false,
    });
  });

  it('reports keyExpiredSince relative to `now`: the older copy expired on 2026-04-18', async () => {
    const before = await verifyDetachedSignature({
      data: TF_SUMS,
      signature: TF_SIG,
      keys: hashicorpOld,
      subject: 'terraform_1.9.8_SHA256SUMS',
      now: new Date('2026-04-17T00:00:00Z'),
    });
    expect(before.keyExpiredSince).toBe(false);
    const after = await verifyDetachedSignature({
      data: TF_SUMS,
      signature: TF_SIG,
      keys: hashicorpOld,
      subject: 'terraform_1.9.8_SHA256SUMS',
      now: new Date('2026-04-18T21:50:17Z'),
    });
    expect(after.signingKeyFingerprint).toBe(HASHICORP_CURRENT_SUBKEY);
    expect(after.keyExpiredSince).toBe(true);
  });

  it.each([
    ['armored .asc', opentofuArmored],
    ['binary .gpg', opentofuBinary],
  ])('accepts tofu 1.8.5 (old-format SHA-512 .gpgsig) with the OpenTofu key, %s', async (_label, keys) => {
    const check = await verifyDetachedSignature({
      data: TOFU_SUMS,
      signature: TOFU_SIG,
      keys,
      subject: 'tofu_1.8.5_SHA256SUMS',
      now: NOW,
    });
    expect(check).toEqual({
      signingKeyFingerprint: OPENTOFU,
      primaryKeyFingerprint: OPENTOFU,
      created: new Date('2024-11-04T20:32:39.000Z'),
      keyExpiredSince: false,
    });
  });

  it('finds the right key in a merged set of several trusted keys', async () => {
    const keys = mergePublicKeySets(opentofuArmored, hashicorpOld, hashicorp);
    const tofu = await verifyDetachedSignature({
      data: TOFU_SUMS,
      signature: TOFU_SIG,
      keys,
      subject: 't',
      now: NOW,
    });
    expect(tofu.primaryKeyFingerprint).toBe(OPENTOFU);
    // Both HashiCorp copies are candidates; the current one vouches, the expired one does not matter.
    const tf = await verifyDetachedSignature({
      data: TF_SUMS,
      signature: TF_SIG,
      keys,
      subject: 't',
      now: NOW,
    });
    expect(tf.signingKeyFingerprint).toBe(HASHICORP_CURRENT_SUBKEY);
  });

  it.each([
    ['0.14.11', 'terraform_0.14.11_SHA256SUMS.sig', '2023-05-10T13:31:16.000Z'],
    ['0.14.11', 'terraform_0.14.11_SHA256SUMS.2FCA0A85.sig', '2023-05-10T13:31:16.000Z'],
    ['0.15.0-rc2', 'terraform_0.15.0-rc2_SHA256SUMS.sig', '2024-04-23T06:36:29.000Z'],
    ['0.15.0-rc2', 'terraform_0.15.0-rc2_SHA256SUMS.2FCA0A85.sig', '2024-04-23T06:36:29.000Z'],
  ])('accepts the hc-install test key 2FCA0A85 signature for %s (%s)', async (version, sigName, created) => {
    const dir = 'hc-install-testkey-2FCA0A85';
    const keys = await readPublicKeys(signed(dir, '2FCA0A85.pub'), '2FCA0A85.pub');
    const check = await verifyDetachedSignature({
      data: signed(dir, version, `terraform_${version}_SHA256SUMS`),
      signature: signed(dir, version, sigName),
      keys,
      subject: sigName,
      now: NOW,
    });
    expect(check).toEqual({
      signingKeyFingerprint: HC_INSTALL_TEST,
      primaryKeyFingerprint: HC_INSTALL_TEST,
      created: new Date(created),
      keyExpiredSince: false,
    });
  });

  it("accepts terraform's test-author signature over the placeholder", async () => {
    const dir = 'terraform-test-author-placeholder';
    const keys = await readPublicKeys(signed(dir, 'testAuthorKeyArmor.asc'), 'testAuthorKeyArmor.asc');
    const check = await verifyDetachedSignature({
      data: signed(dir, 'placeholder.txt'),
      signature: signed(dir, 'placeholder.txt.sig'),
      keys,
      subject: 'placeholder.txt',
      now: NOW,
    });
    expect(check).toEqual({
      signingKeyFingerprint: TEST_AUTHOR,
      primaryKeyFingerprint: TEST_AUTHOR,
      created: new Date('2020-03-16T14:05:44.000Z'),
      keyExpiredSince: false,
    });
  });

  it('accepts an ARMORED form of a binary signature, as a string and as bytes', async () => {
    const armored = (await openpgp.readSignature({ binarySignature: TF_SIG })).armor();
    expect(armored.startsWith('-----BEGIN PGP SIGNATURE-----')).toBe(true);
    for (const signature of [armored, new TextEncoder().encode(armored)]) {
      const check = await verifyDetachedSignature({
        data: TF_SUMS,
        signature,
        keys: hashicorp,
        subject: 'a',
        now: NOW,
      });
      expect(check.signingKeyFingerprint).toBe(HASHICORP_CURRENT_SUBKEY);
      expect(check.created.toISOString()).toBe('2024-10-16T13:07:54.000Z');
    }
  });

  // Why the policy exists: openpgp's own verify() refuses both real HashiCorp signatures.
  it.each([
    ['terraform 1.9.8', TF_SUMS, TF_SIG, 'Signature creation time is in the future'],
    ['null 3.1.0', NULL_SUMS, NULL_SIG, 'Signature creation time is in the future'],
  ])("openpgp's default verify() refuses %s", async (_label, data, sig, message) => {
    const verificationKeys = hashicorp.keys.map((k) => k.key);
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: data }),
      signature: await openpgp.readSignature({ binarySignature: sig }),
      verificationKeys,
      date: NOW,
    });
    await expect(result.signatures[0]?.verified).rejects.toThrow(message);
  });

  it("openpgp's reformatted-key escape hatch still refuses null 3.1.0: 'Subkey is expired'", async () => {
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: NULL_SUMS }),
      signature: await openpgp.readSignature({ binarySignature: NULL_SIG }),
      verificationKeys: hashicorp.keys.map((k) => k.key),
      date: NOW,
      config: { allowInsecureVerificationWithReformattedKeys: true },
    });
    await expect(result.signatures[0]?.verified).rejects.toThrow('Subkey is expired');
  });
});

describe('refusals with real data', () => {
  it('refuses terraform 1.9.8 checked with the OpenTofu key: the issuer is not trusted', async () => {
    const err = await rejection(
      verifyDetachedSignature({
        data: TF_SUMS,
        signature: TF_SIG,
        keys: opentofuArmored,
        subject: 'terraform_1.9.8_SHA256SUMS',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      'signature of terraform_1.9.8_SHA256SUMS: signature was made by key ' +
        `${HASHICORP_CURRENT_SUBKEY}, which is not a trusted key or subkey (trusted: ${OPENTOFU} ` +
        '(OpenTofu (This key is used to sign opentofu providers) <core@opentofu.org>))',
    );
    expect(err.details).toMatchObject({
      path: 'terraform_1.9.8_SHA256SUMS',
      expected: `a key or subkey of ${OPENTOFU}`,
      actual: HASHICORP_CURRENT_SUBKEY,
    });
  });

  it('refuses the terraform 1.9.8 SUMS with one byte flipped', async () => {
    const tampered = Uint8Array.from(TF_SUMS);
    tampered[100] = (tampered[100] ?? 0) ^ 0x01;
    const err = await rejection(
      verifyDetachedSignature({
        data: tampered,
        signature: TF_SIG,
        keys: hashicorp,
        subject: 'terraform_1.9.8_SHA256SUMS',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      `signature of terraform_1.9.8_SHA256SUMS: signature by subkey ${HASHICORP_CURRENT_SUBKEY} of ${HASHICORP} ` +
        '(HashiCorp Security (hashicorp.com/security) <security@hashicorp.com>) does not verify over the ' +
        `1378 bytes given (sha256 ${sha256(tampered)}): Signed digest did not match`,
    );
    expect(err.details).toMatchObject({
      path: 'terraform_1.9.8_SHA256SUMS',
      expected: `a valid signature by ${HASHICORP_CURRENT_SUBKEY} over the data`,
      actual: 'Signed digest did not match',
    });
  });

  it('refuses the tofu signature over the terraform document (BADSIG)', async () => {
    const err = await rejection(
      verifyDetachedSignature({
        data: TF_SUMS,
        signature: TOFU_SIG,
        keys: opentofuBinary,
        subject: 'terraform_1.9.8_SHA256SUMS',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain('signature of terraform_1.9.8_SHA256SUMS: signature by key ' + OPENTOFU);
    expect(err.message).toContain(`does not verify over the 1378 bytes given (sha256 ${sha256(TF_SUMS)})`);
    expect(err.details.expected).toBe(`a valid signature by ${OPENTOFU} over the data`);
    expect(err.details.actual).toBe('Signed digest did not match');
  });

  it("refuses terraform's truncated testSignatureBad.sig", async () => {
    const dir = 'terraform-test-author-placeholder';
    const keys = await readPublicKeys(signed(dir, 'testAuthorKeyArmor.asc'), 'testAuthorKeyArmor.asc');
    const err = await rejection(
      verifyDetachedSignature({
        data: signed(dir, 'placeholder.txt'),
        signature: signed(dir, 'testSignatureBad.sig'),
        keys,
        subject: 'placeholder.txt',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      'signature of placeholder.txt: the signature cannot be read (Unexpected end of packet)',
    );
    expect(err.details).toMatchObject({
      path: 'placeholder.txt',
      expected: 'an OpenPGP signature, binary or armored',
      actual: '148 bytes starting 0x8901330400010800',
    });
  });

  it('refuses a real signature cut in half', async () => {
    const half = TF_SIG.subarray(0, TF_SIG.length / 2);
    expect(half.length).toBe(283);
    const err = await rejection(
      verifyDetachedSignature({
        data: TF_SUMS,
        signature: half,
        keys: hashicorp,
        subject: 'tf.sig',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe('signature of tf.sig: the signature cannot be read (Unexpected end of packet)');
    expect(err.details.actual).toBe(`283 bytes starting 0x${TF_SIG.subarray(0, 8).toString('hex')}`);
  });

  it.each([
    ['bytes', new Uint8Array(0)],
    ['string', ''],
  ])('refuses an empty signature (%s)', async (_label, signature) => {
    const err = await rejection(
      verifyDetachedSignature({ data: TF_SUMS, signature, keys: hashicorp, subject: 'empty.sig', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe('signature of empty.sig: the signature is empty');
    expect(err.details).toMatchObject({
      path: 'empty.sig',
      expected: 'an OpenPGP signature, binary or armored',
      actual: '0 bytes',
    });
  });

  it('refuses a public key handed over as the signature', async () => {
    const err = await rejection(
      verifyDetachedSignature({
        data: TOFU_SUMS,
        signature: key('opentofu_get.opentofu.org_static_opentofu.gpg'),
        keys: opentofuBinary,
        subject: 'tofu.gpgsig',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      'signature of tofu.gpgsig: the signature cannot be read (Packet not allowed in this context: publicKey)',
    );
  });

  it('refuses a key certification passed off as a document signature', async () => {
    const binding = hashicorp.keys[0]?.key.subkeys[2]?.bindingSignatures[0];
    expect(binding?.signatureType).toBe(openpgp.enums.signature.subkeyBinding);
    const list = new openpgp.PacketList<openpgp.SignaturePacket>();
    list.push(binding as openpgp.SignaturePacket);
    const err = await rejection(
      verifyDetachedSignature({
        data: TF_SUMS,
        signature: list.write(),
        keys: hashicorp,
        subject: 'b',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe('signature of b: signature packet has type 0x18, not a document signature');
    expect(err.details).toMatchObject({
      expected: 'type 0x00 (binary document) or 0x01 (text document)',
      actual: 'type 0x18',
    });
  });

  it('refuses a real signature dated after the verification time', async () => {
    const err = await rejection(
      verifyDetachedSignature({
        data: TF_SUMS,
        signature: TF_SIG,
        keys: hashicorp,
        subject: 'tf',
        now: new Date('2024-10-16T13:07:53Z'),
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(
      'signature made 2024-10-16T13:07:54.000Z by subkey 374EC75B485913604A831CC7C820C6D5CD27AB87',
    );
    expect(err.message).toContain('is dated after the verification time 2024-10-16T13:07:53.000Z');
    expect(err.details).toMatchObject({
      expected: 'a signature made at or before 2024-10-16T13:07:53.000Z',
      actual: 'made 2024-10-16T13:07:54.000Z',
    });
  });
});

describe('refusals with throwaway keys', () => {
  const DATA = new TextEncoder().encode('0123abcd  terraform-provider-x_1.0.0_linux_amd64.zip\n');
  const T0 = new Date('2020-01-01T00:00:00Z');
  const day = (n: number): Date => new Date(T0.getTime() + n * 86_400_000);

  it('refuses a correct signature by a key that is not in the trusted set, and accepts it once trusted', async () => {
    const stranger = await generateSigningKey({ date: T0 });
    const signature = await signDetached(DATA, stranger, { date: day(1) });
    const trusted = mergePublicKeySets(hashicorp, opentofuArmored);
    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys: trusted, subject: 'x_SHA256SUMS', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(
      `signature of x_SHA256SUMS: signature was made by key ${stranger.fingerprint}, which is not a trusted key or subkey`,
    );
    expect(err.details).toMatchObject({
      path: 'x_SHA256SUMS',
      expected: `a key or subkey of ${HASHICORP}, ${OPENTOFU}`,
      actual: stranger.fingerprint,
    });

    const withStranger = mergePublicKeySets(
      trusted,
      await readPublicKeys(stranger.publicKeyArmored, 'stranger'),
    );
    const check = await verifyDetachedSignature({
      data: DATA,
      signature,
      keys: withStranger,
      subject: 'x',
      now: NOW,
    });
    expect(check).toEqual({
      signingKeyFingerprint: stranger.fingerprint,
      primaryKeyFingerprint: stranger.fingerprint,
      created: day(1),
      keyExpiredSince: false,
    });
  });

  it('refuses a signature made after the key expired, accepts one made before', async () => {
    const k = await generateSigningKey({ date: T0 });
    const late = await signDetached(DATA, k, { date: day(10) });
    const early = await signDetached(DATA, k, { date: new Date(T0.getTime() + 12 * 3_600_000) });
    // The key holder later re-states the key with a one-day lifetime; openpgp would not sign past expiry.
    const { publicKey } = await openpgp.reformatKey({
      privateKey: await openpgp.readPrivateKey({ armoredKey: k.privateKeyArmored }),
      userIDs: [{ name: 'short-lived' }],
      keyExpirationTime: 86_400,
      date: T0,
      format: 'object',
    });
    const keys = await readPublicKeys(publicKey.armor(), 'short-lived.asc');

    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature: late, keys, subject: 'late', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      `signature of late: signature made 2020-01-11T00:00:00.000Z by key ${k.fingerprint} (short-lived), ` +
        'which had expired at 2020-01-02T00:00:00.000Z',
    );
    expect(err.details).toMatchObject({
      expected: 'a signature made before 2020-01-02T00:00:00.000Z',
      actual: 'made 2020-01-11T00:00:00.000Z',
    });

    const check = await verifyDetachedSignature({
      data: DATA,
      signature: early,
      keys,
      subject: 'early',
      now: NOW,
    });
    expect(check.created.toISOString()).toBe('2020-01-01T12:00:00.000Z');
    expect(check.keyExpiredSince).toBe(true);
  });

  async function keyWithSigningSubkey(): Promise<{ privateKey: openpgp.PrivateKey; signature: Uint8Array }> {
    const { privateKey } = await openpgp.generateKey({
      userIDs: [{ name: 'subkey signer' }],
      type: 'ecc',
      curve: 'curve25519Legacy',
      subkeys: [{ sign: true }],
      date: T0,
      format: 'object',
    });
    const signature = await openpgp.sign({
      message: await openpgp.createMessage({ binary: DATA }),
      signingKeys: privateKey,
      detached: true,
      format: 'binary',
      date: day(1),
    });
    return { privateKey, signature };
  }

  it('refuses a signature by a revoked subkey (and accepts it before the revocation is known)', async () => {
    const { privateKey, signature } = await keyWithSigningSubkey();
    const primary = privateKey.getFingerprint().toUpperCase();
    const subkey = privateKey.subkeys[0]!;
    const subFp = subkey.getFingerprint().toUpperCase();

    const before = await verifyDetachedSignature({
      data: DATA,
      signature,
      keys: await readPublicKeys(privateKey.toPublic().armor(), 'before.asc'),
      subject: 's',
      now: NOW,
    });
    expect(before.signingKeyFingerprint).toBe(subFp);
    expect(before.primaryKeyFingerprint).toBe(primary);

    privateKey.subkeys[0] = await subkey.revoke(
      privateKey.keyPacket as openpgp.SecretKeyPacket,
      { flag: openpgp.enums.reasonForRevocation.keyCompromised, string: 'lost laptop' },
      day(5),
    );
    const keys = await readPublicKeys(privateKey.toPublic().armor(), 'revoked.asc');
    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys, subject: 's', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      `signature of s: signature was made by subkey ${subFp} of ${primary} (subkey signer), which is revoked ` +
        '(revoked 2020-01-06T00:00:00.000Z, key compromised: lost laptop)',
    );
    expect(err.details).toMatchObject({
      expected: 'an unrevoked signing subkey',
      actual: 'revoked 2020-01-06T00:00:00.000Z',
    });
  });

  it('refuses a signature whose primary key is revoked, even for a "superseded" revocation made later', async () => {
    const { privateKey, signature } = await keyWithSigningSubkey();
    const primary = privateKey.getFingerprint().toUpperCase();
    const revoked = await privateKey.revoke(
      { flag: openpgp.enums.reasonForRevocation.keySuperseded, string: 'rotated' },
      day(30),
    );
    const keys = await readPublicKeys(revoked.toPublic().armor(), 'revoked-primary.asc');
    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys, subject: 'p', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(
      `but primary key ${primary} is revoked (revoked 2020-01-31T00:00:00.000Z, key superseded: rotated)`,
    );
    expect(err.details).toMatchObject({
      expected: 'an unrevoked primary key',
      actual: 'revoked 2020-01-31T00:00:00.000Z',
    });
  });

  it('refuses a subkey whose binding signature is missing or lacks its back-signature', async () => {
    const { privateKey, signature } = await keyWithSigningSubkey();
    const subFp = privateKey.subkeys[0]!.getFingerprint().toUpperCase();

    const unbound: PublicKeySet = await readPublicKeys(privateKey.toPublic().armor(), 'unbound.asc');
    unbound.keys[0]!.key.subkeys[0]!.bindingSignatures = [];
    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys: unbound, subject: 'u', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(`subkey ${subFp} of`);
    expect(err.message).toContain('which has no valid binding signature from its primary key');
    expect(err.details).toMatchObject({ actual: '0 binding signature(s), none valid' });

    const noBack: PublicKeySet = await readPublicKeys(privateKey.toPublic().armor(), 'no-back.asc');
    noBack.keys[0]!.key.subkeys[0]!.bindingSignatures[0]!.embeddedSignature = null;
    const err2 = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys: noBack, subject: 'n', now: NOW }),
    );
    expect(err2.code).toBe('SIGNATURE_INVALID');
    expect(err2.message).toContain('whose binding lacks a valid primary-key binding (back-)signature');
    expect(err2.details).toMatchObject({ actual: 'none' });
  });

  it('refuses a signature by a subkey not marked for signing', async () => {
    const { privateKey, signature } = await keyWithSigningSubkey();
    const keys = await readPublicKeys(privateKey.toPublic().armor(), 'flags.asc');
    // The binding is already verified and cached, so only the flags change: an encryption-only subkey.
    keys.keys[0]!.key.subkeys[0]!.bindingSignatures[0]!.keyFlags = new Uint8Array([0x0c]);
    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys, subject: 'f', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain('which is not marked for signing (key flags 0x0c)');
    expect(err.details).toMatchObject({
      expected: 'key flags with "sign data" (0x02)',
      actual: 'key flags 0x0c',
    });
  });

  // openpgp's sign() refuses to backdate or to set a signature expiry; build the packet by hand.
  async function handMadeSignature(
    k: Awaited<ReturnType<typeof generateSigningKey>>,
    created: Date,
    expiresAfterSeconds?: number,
  ): Promise<Uint8Array> {
    const privateKey = await openpgp.readPrivateKey({ armoredKey: k.privateKeyArmored });
    const literal = (await openpgp.createMessage({ binary: DATA })).packets.findPacket(
      openpgp.enums.packet.literalData,
    );
    const packet = new openpgp.SignaturePacket();
    packet.signatureType = openpgp.enums.signature.binary;
    packet.publicKeyAlgorithm = privateKey.keyPacket.algorithm;
    packet.hashAlgorithm = openpgp.enums.hash.sha256;
    if (expiresAfterSeconds !== undefined) {
      packet.signatureExpirationTime = expiresAfterSeconds;
      packet.signatureNeverExpires = false;
    }
    // SignaturePacket.sign takes the config as a fifth argument its typings omit.
    const sign = packet.sign as unknown as (
      key: unknown,
      data: unknown,
      date: Date,
      detached: boolean,
      config: openpgp.Config,
    ) => Promise<void>;
    await sign.call(packet, privateKey.keyPacket, literal, created, true, openpgp.config);
    const list = new openpgp.PacketList<openpgp.SignaturePacket>();
    list.push(packet);
    return list.write();
  }

  it('refuses a signature dated before its key was created', async () => {
    const k = await generateSigningKey({ date: T0 });
    const signature = await handMadeSignature(k, day(-1));
    const keys = await readPublicKeys(k.publicKeyArmored, 'k.asc');
    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys, subject: 'b', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain('signature made 2019-12-31T00:00:00.000Z by key');
    expect(err.message).toContain('predates the key, created 2020-01-01T00:00:00.000Z');
    expect(err.details).toMatchObject({
      expected: 'a signature made at or after 2020-01-01T00:00:00.000Z',
      actual: 'made 2019-12-31T00:00:00.000Z',
    });
  });

  it('refuses a signature whose own expiry has passed, accepts it before then', async () => {
    const k = await generateSigningKey({ date: T0 });
    const signature = await handMadeSignature(k, day(1), 3600);
    const keys = await readPublicKeys(k.publicKeyArmored, 'k.asc');
    const ok = await verifyDetachedSignature({ data: DATA, signature, keys, subject: 'e', now: day(1) });
    expect(ok.created).toEqual(day(1));
    const err = await rejection(
      verifyDetachedSignature({ data: DATA, signature, keys, subject: 'e', now: NOW }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain('carries its own expiry, 2020-01-02T01:00:00.000Z, which has passed');
    expect(err.details).toMatchObject({
      expected: 'verification before 2020-01-02T01:00:00.000Z',
      actual: 'verified at 2026-08-01T00:00:00.000Z',
    });
  });

  it('accepts when one of several packets is good, and lists every reason when none is', async () => {
    const a = await generateSigningKey({ date: T0 });
    const b = await generateSigningKey({ date: T0 });
    const sigA = await signDetached(TF_SUMS, a, { date: day(1) });
    const sigB = await signDetached(TF_SUMS, b, { date: day(1) });

    const mixed = Buffer.concat([sigA, TF_SIG]);
    const check = await verifyDetachedSignature({
      data: TF_SUMS,
      signature: mixed,
      keys: hashicorp,
      subject: 'm',
      now: NOW,
    });
    expect(check.signingKeyFingerprint).toBe(HASHICORP_CURRENT_SUBKEY);

    const err = await rejection(
      verifyDetachedSignature({
        data: TF_SUMS,
        signature: Buffer.concat([sigA, sigB]),
        keys: hashicorp,
        subject: 'm',
        now: NOW,
      }),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toBe(
      'signature of m: none of its 2 signature packets is acceptable: ' +
        `1) signature was made by key ${a.fingerprint}, which is not a trusted key or subkey (trusted: ${HASHICORP} ` +
        '(HashiCorp Security (hashicorp.com/security) <security@hashicorp.com>)); ' +
        `2) signature was made by key ${b.fingerprint}, which is not a trusted key or subkey (trusted: ${HASHICORP} ` +
        '(HashiCorp Security (hashicorp.com/security) <security@hashicorp.com>))',
    );
    expect(err.details.actual).toBe(`${a.fingerprint} | ${b.fingerprint}`);
  });
});

describe('bounded work before a verdict', () => {
  it(`checks a signature of ${MAX_SIGNATURE_PACKETS} packets, refuses one of more without checking any`, async () => {
    const signer = await generateSigningKey({ date: new Date('2026-01-01T00:00:00Z') });
    const keys = await readPublicKeys(signer.publicKeyArmored, 'test signer');
    const data = new TextEncoder().encode('abc  file\n');
    const one = await signDetached(data, signer, { date: new Date('2026-02-01T00:00:00Z') });
    const repeat = (n: number): Uint8Array =>
      Buffer.concat(Array.from({ length: n }, () => Buffer.from(one)));

    const ok = await verifyDetachedSignature({
      data,
      signature: repeat(MAX_SIGNATURE_PACKETS),
      keys,
      subject: 'SUMS',
      now: NOW,
    });
    expect(ok.primaryKeyFingerprint).toBe(signer.fingerprint);

    const e = await rejection(
      verifyDetachedSignature({
        data,
        signature: repeat(MAX_SIGNATURE_PACKETS + 1),
        keys,
        subject: 'SUMS',
        now: NOW,
      }),
    );
    expect(e.code).toBe('SIGNATURE_INVALID');
    expect(e.message).toBe(
      `signature of SUMS: the signature holds ${MAX_SIGNATURE_PACKETS + 1} signature packets; at most ${MAX_SIGNATURE_PACKETS} are checked`,
    );
    expect([e.details.expected, e.details.actual]).toEqual([
      `at most ${MAX_SIGNATURE_PACKETS} signature packets`,
      '9',
    ]);
  });
});
