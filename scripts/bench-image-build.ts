// The image build alone, for `npm run bench`: builds BUNDLE/image from the bundle's
// airgap.json on the given base, as `airgap mirror --image` does after mirroring,
// so that the timing holds no registry traffic. Usage: bench-image-build.ts BUNDLE BASE-REF

import fs from 'node:fs/promises';
import path from 'node:path';
import { openImageSource } from '../src/adapters/oci/image-source/index.js';
import { parseManifest } from '../src/core/bundle/manifest.js';
import { buildRunnerImage } from '../src/services/image/build-image.js';

async function main(): Promise<void> {
  const [bundle, base] = process.argv.slice(2);
  if (bundle === undefined || base === undefined)
    throw new Error('usage: bench-image-build.ts BUNDLE BASE-REF');
  const file = path.join(bundle, 'airgap.json');
  const manifest = parseManifest(await fs.readFile(file, 'utf8'), file);
  const source = openImageSource(base, { userAgent: 'airgap-bench' });
  try {
    const built = await buildRunnerImage(
      {
        bundleDir: bundle,
        platforms: manifest.platforms,
        source,
        providers: manifest.providers,
        binaries: manifest.binaries,
        tool: 'tofu',
        mirrorPath: '/providers',
        created: new Date('2020-01-01T00:00:00Z'),
        toolVersion: 'bench',
      },
      { info: () => undefined, warn: (m) => console.error(m) },
    );
    console.log(built.image.digest);
  } finally {
    await source.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
