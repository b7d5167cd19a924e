// The image build alone, for `npm run bench`: builds BUNDLE/image from the bundle's
// airgap.json on the given base, as `airgap mirror --image` does after mirroring, so
// the timing holds no registry traffic. Plain JS over dist/ (npm run bench builds it
// first), so the measure is the shipped code, not a TypeScript loader.
// Usage: node scripts/bench-image-build.mjs BUNDLE BASE-REF

import fs from 'node:fs/promises';
import path from 'node:path';
import { openImageSource } from '../dist/adapters/oci/image-source/index.js';
import { parseManifest } from '../dist/core/bundle/manifest.js';
import { buildRunnerImage } from '../dist/services/image/build-image.js';

const [bundle, base] = process.argv.slice(2);
if (bundle === undefined || base === undefined) {
  console.error('usage: bench-image-build.mjs BUNDLE BASE-REF');
  process.exit(2);
}
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
