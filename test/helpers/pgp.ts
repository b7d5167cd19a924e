// Throwaway OpenPGP keys and detached signatures for tests, made with openpgp v6.
// ECC (curve25519) by default because RSA generation costs seconds on a shared box.
import * as openpgp from 'openpgp';

export interface TestKey {
  privateKeyArmored: string;
  publicKeyArmored: string;
  /** Upper-case hex fingerprint of the primary key. */
  fingerprint: string;
  /** Upper-case hex, 16 digits: the primary key's long key id. */
  keyId: string;
}

export interface GenerateSigningKeyOptions {
  name?: string;
  email?: string;
  /** Creation time of the key and its self-signatures. */
  date?: Date;
  /** Seconds after creation when the key expires; 0 or absent means never. */
  keyExpirationTime?: number;
  type?: 'rsa' | 'ecc';
}

export async function generateSigningKey(opts: GenerateSigningKeyOptions = {}): Promise<TestKey> {
  const userID = { name: opts.name ?? 'airgap test signer', email: opts.email ?? 'signer@airgap.test' };
  const common = {
    userIDs: [userID],
    format: 'object' as const,
    ...(opts.date === undefined ? {} : { date: opts.date }),
    ...(opts.keyExpirationTime === undefined ? {} : { keyExpirationTime: opts.keyExpirationTime }),
  };
  const { privateKey, publicKey } =
    opts.type === 'rsa'
      ? await openpgp.generateKey({ ...common, type: 'rsa', rsaBits: 2048 })
      : await openpgp.generateKey({ ...common, type: 'ecc', curve: 'curve25519Legacy' });
  return {
    privateKeyArmored: privateKey.armor(),
    publicKeyArmored: publicKey.armor(),
    fingerprint: privateKey.getFingerprint().toUpperCase(),
    keyId: privateKey.getKeyID().toHex().toUpperCase(),
  };
}

// Parsing an armored key costs a few ms; cache per key so signing many sums files stays cheap.
const parsedKeys = new Map<string, Promise<openpgp.PrivateKey>>();

function parsePrivateKey(key: TestKey): Promise<openpgp.PrivateKey> {
  let parsed = parsedKeys.get(key.privateKeyArmored);
  if (parsed === undefined) {
    parsed = openpgp.readPrivateKey({ armoredKey: key.privateKeyArmored });
    parsedKeys.set(key.privateKeyArmored, parsed);
  }
  return parsed;
}

/** A detached signature over `data`: binary (like HashiCorp's `.sig`) unless `armor` is set. */
export async function signDetached(
  data: Uint8Array,
  key: TestKey,
  opts: { armor?: boolean; date?: Date } = {},
): Promise<Uint8Array> {
  const signingKey = await parsePrivateKey(key);
  const message = await openpgp.createMessage({ binary: data });
  const dateOpt = opts.date === undefined ? {} : { date: opts.date };
  if (opts.armor === true) {
    const armored = await openpgp.sign({
      message,
      signingKeys: signingKey,
      detached: true,
      format: 'armored',
      ...dateOpt,
    });
    return new TextEncoder().encode(armored);
  }
  return openpgp.sign({ message, signingKeys: signingKey, detached: true, format: 'binary', ...dateOpt });
}
