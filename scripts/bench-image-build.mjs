// The image build alone, for `npm run bench`: builds BUNDLE/image from the bundle's
// airgap.json on the given base through the service `airgap mirror --image` calls
// after mirroring, so the timing holds no registry traffic. Plain JS over dist/
// (npm run bench builds it first), so the measure is the shipped code, not a
// TypeScript loader. Usage: node scripts/bench-image-build.mjs BUNDLE BASE-REF

import fs from 'node:fs/promises';
import path from 'node:path';
import { parseManifest } from '../dist/core/bundle/manifest.js';
import { buildBundleImage } from '../dist/services/mirror/runner-image.js';

const [bundle, base] = process.argv.slice(2);
if (bundle === undefined || base === undefined) {
  console.error('usage: bench-image-build.mjs BUNDLE BASE-REF');
  process.exit(2);
}
const file = path.join(bundle, 'airgap.json');
const manifest = parseManifest(await fs.readFile(file, 'utf8'), file);
const built = await buildBundleImage(
  {
    outDir: bundle,
    platforms: manifest.platforms,
    providers: manifest.providers,
    binaries: manifest.binaries,
    tool: 'tofu',
    mirrorPath: '/providers',
    caCertFiles: [],
    env: { SOURCE_DATE_EPOCH: '1577836800' },
    image: { baseImage: base, baseRegistryInsecure: false },
  },
  { info: () => undefined, warn: (m) => console.error(m) },
);
console.log(built.image.digest);
