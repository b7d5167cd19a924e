// A signed bundle big enough for several S3 upload parts (16 MiB each), for the S3
// export, import and resume tests: two provider zips of `payloadSize` bytes each,
// a signing key and a small stand-in tool archive.
import fs from 'node:fs/promises';
import path from 'node:path';
import { generateSigningKey, type TestKey } from './pgp.js';
import { makeTempDir } from './tmp.js';
import { fakeToolArchive, makeTestBundle, type TestBundle } from './transfer.js';

export interface S3TestBundle {
  bundle: TestBundle;
  dir: string;
  key: TestKey;
  keyFile: string;
  publicKeyFile: string;
  toolPackage: string;
  /** For deterministic, signed tarballs. */
  env: Record<string, string>;
}

export async function makeS3TestBundle(payloadSize: number): Promise<S3TestBundle> {
  const bundle = await makeTestBundle({
    providers: [
      {
        namespace: 'hashicorp',
        type: 'null',
        versions: ['3.2.1'],
        platforms: ['linux_amd64', 'linux_arm64'],
        payloadSize,
      },
    ],
    tofu: [],
  });
  const work = await makeTempDir('airgap-s3-keys-');
  const key = await generateSigningKey({ date: new Date('2025-01-01T00:00:00Z') });
  const keyFile = path.join(work, 'signer.asc');
  const publicKeyFile = path.join(work, 'signer.pub.asc');
  const toolPackage = path.join(work, 'airgap-0.1.0.tgz');
  await fs.writeFile(keyFile, key.privateKeyArmored);
  await fs.writeFile(publicKeyFile, key.publicKeyArmored);
  await fs.writeFile(toolPackage, fakeToolArchive());
  return {
    bundle,
    dir: bundle.dir,
    key,
    keyFile,
    publicKeyFile,
    toolPackage,
    env: { SOURCE_DATE_EPOCH: '1764000000' },
  };
}
