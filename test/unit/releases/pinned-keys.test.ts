// The pinned release keys: the constants are the published keys, and they verify the
// REAL tofu 1.8.5 and terraform 1.9.8 SHA256SUMS signatures; one flipped byte in the
// sums or in the signature, or the other vendor's key, fails.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { AirgapError } from '../../../src/core/errors.js';
import { verifyDetachedSignature, type PublicKeySet } from '../../../src/core/signature/index.js';
import {
  HASHICORP_RELEASE_KEY,
  HASHICORP_RELEASE_KEY_ARMORED,
  HASHICORP_RELEASE_KEY_FINGERPRINT,
  loadPinnedKey,
  OPENTOFU_RELEASE_KEY,
  OPENTOFU_RELEASE_KEY_ARMORED,
  OPENTOFU_RELEASE_KEY_FINGERPRINT,
} from '../../../src/core/trust/pinned-keys.js';
import { realdata } from '../../helpers/realdata.js';

const keyText = (name: string): string => readFileSync(realdata('keys', name), 'utf8');
const signed = (...parts: string[]): Buffer => readFileSync(realdata('keys', 'signed-sums', ...parts));

const TOFU_SUMS = signed('tofu_1.8.5_real', 'tofu_1.8.5_SHA256SUMS');
const TOFU_SIG = signed('tofu_1.8.5_real', 'tofu_1.8.5_SHA256SUMS.gpgsig');
const TF_SUMS = signed('terraform_1.9.8_real', 'terraform_1.9.8_SHA256SUMS');
const TF_SIG = signed('terraform_1.9.8_real', 'terraform_1.9.8_SHA256SUMS.sig');

const opentofu = await loadPinnedKey(OPENTOFU_RELEASE_KEY);
const hashicorp = await loadPinnedKey(HASHICORP_RELEASE_KEY);

function flipped(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  const i = at < 0 ? out.length + at : at;
  out[i] = (out[i] ?? 0) ^ 0x01;
  return out;
}

async function rejection(p: Promise<unknown>): Promise<AirgapError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AirgapError) return e;
    throw e;
  }
  throw new Error('expected verification to fail, but it passed');
}

function verify(data: Uint8Array, signature: Uint8Array, keys: PublicKeySet, subject: string) {
  return verifyDetachedSignature({ data, signature, keys, subject });
}

describe('pinned key constants', () => {
  it('are the published keys, byte for byte (apart from trailing newlines)', () => {
    expect(OPENTOFU_RELEASE_KEY_ARMORED.trimEnd()).toBe(
      keyText(
        'opentofu_release_signing_key_E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80_from_tofudl.asc',
      ).trimEnd(),
    );
    expect(OPENTOFU_RELEASE_KEY_ARMORED.trimEnd()).toBe(
      keyText('opentofu_get.opentofu.org_static_opentofu.asc').trimEnd(),
    );
    expect(HASHICORP_RELEASE_KEY_ARMORED.trimEnd()).toBe(
      keyText('hashicorp_HashicorpPublicKey_from_terraform_public_keys.go.asc').trimEnd(),
    );
  });

  it('hold exactly the pinned fingerprints', () => {
    expect(OPENTOFU_RELEASE_KEY_FINGERPRINT).toBe('E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80');
    expect(HASHICORP_RELEASE_KEY_FINGERPRINT).toBe('C874011F0AB405110D02105534365D9472D7468F');
    expect(opentofu.keys.map((k) => [k.fingerprint, k.userId])).toEqual([
      [
        'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
        'OpenTofu (This key is used to sign opentofu providers) <core@opentofu.org>',
      ],
    ]);
    expect(hashicorp.keys.map((k) => k.fingerprint)).toEqual(['C874011F0AB405110D02105534365D9472D7468F']);
  });

  it('refuse key text that lacks the pinned fingerprint (a rotation done by halves)', async () => {
    const err = await rejection(
      loadPinnedKey({ ...OPENTOFU_RELEASE_KEY, armored: HASHICORP_RELEASE_KEY_ARMORED }),
    );
    expect(err.code).toBe('KEY_INVALID');
    expect(err.details.expected).toBe('E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80');
    expect(err.message).toContain(
      'no trusted key has the pinned fingerprint E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
    );
  });
});

describe('the real tofu 1.8.5 release signature', () => {
  it('verifies with the pinned OpenTofu key (made by its primary key)', async () => {
    expect(await verify(TOFU_SUMS, TOFU_SIG, opentofu, 'tofu_1.8.5_SHA256SUMS')).toEqual({
      signingKeyFingerprint: 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
      primaryKeyFingerprint: 'E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
      created: new Date('2024-11-04T20:32:39.000Z'),
      keyExpiredSince: false,
    });
  });

  it('fails with one flipped byte in the SHA256SUMS', async () => {
    const err = await rejection(verify(flipped(TOFU_SUMS, 0), TOFU_SIG, opentofu, 'tofu_1.8.5_SHA256SUMS'));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.message).toContain(
      'signature of tofu_1.8.5_SHA256SUMS: signature by key E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80',
    );
    expect(err.message).toContain(
      'does not verify over the 3690 bytes given (sha256 7fb0c3cc2c3d3354cd5ab3071f4ffb15181353f437c3a9113f7154597bac50e7)',
    );
    expect(err.details.actual).toBe('Signed digest did not match');
  });

  it('fails with one flipped byte in the .gpgsig', async () => {
    const err = await rejection(verify(TOFU_SUMS, flipped(TOFU_SIG, -1), opentofu, 'tofu_1.8.5_SHA256SUMS'));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.details.actual).toBe('Signature verification failed');
  });

  it('fails with the HashiCorp key', async () => {
    const err = await rejection(verify(TOFU_SUMS, TOFU_SIG, hashicorp, 'tofu_1.8.5_SHA256SUMS'));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.details.actual).toBe('E3E6E43D84CB852EADB0051D0C0AF313E5FD9F80');
  });
});

describe('the real terraform 1.9.8 release signature', () => {
  it('verifies with the pinned HashiCorp key (made by its current signing subkey)', async () => {
    expect(await verify(TF_SUMS, TF_SIG, hashicorp, 'terraform_1.9.8_SHA256SUMS')).toEqual({
      signingKeyFingerprint: '374EC75B485913604A831CC7C820C6D5CD27AB87',
      primaryKeyFingerprint: 'C874011F0AB405110D02105534365D9472D7468F',
      created: new Date('2024-10-16T13:07:54.000Z'),
      keyExpiredSince: false,
    });
  });

  it('fails with one flipped byte in the SHA256SUMS', async () => {
    // Byte 100 is the second hex digit of the darwin_arm64 line: "873d..." becomes "863d...".
    const err = await rejection(
      verify(flipped(TF_SUMS, 100), TF_SIG, hashicorp, 'terraform_1.9.8_SHA256SUMS'),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.details.actual).toBe('Signed digest did not match');
  });

  it('fails with one flipped byte in the .sig', async () => {
    const err = await rejection(
      verify(TF_SUMS, flipped(TF_SIG, -1), hashicorp, 'terraform_1.9.8_SHA256SUMS'),
    );
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.details.actual).toBe('Signature verification failed');
  });

  it('fails with the OpenTofu key', async () => {
    const err = await rejection(verify(TF_SUMS, TF_SIG, opentofu, 'terraform_1.9.8_SHA256SUMS'));
    expect(err.code).toBe('SIGNATURE_INVALID');
    expect(err.details.actual).toBe('374EC75B485913604A831CC7C820C6D5CD27AB87');
  });
});
