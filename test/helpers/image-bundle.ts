// A runner image in a fixture bundle, as `airgap mirror --image` lays it out: the
// tiny two-platform base image of base-image.ts written as the bundle's image/ OCI
// layout, its index.json naming the image index "latest" and each platform manifest
// by OS_ARCH, airgap.json's `image` section listing every layout file, and
// SHA256SUMS rewritten. Also a CLI runner that can feed standard input (for
// --registry-password-stdin), and a small HTTP proxy that fails chosen requests.

import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BUNDLE } from '../../src/core/layout/names.js';
import { writeBaseImageLayout, type BaseImageFixture, type BaseImageOptions } from './base-image.js';
import { resum, sha256Hex, type FixtureBundle } from './import-fixtures.js';

export const IMAGE_REF = 'latest';

export interface BundleImage {
  fixture: BaseImageFixture;
  /** image/index.json as written. */
  layoutIndex: Buffer;
  /** The image index blob's bytes. */
  indexBytes: Buffer;
  /** Layout-relative paths (below image/) of every file, sorted. */
  files: string[];
  /** What the bundle's airgap.json now says under `image`. */
  section: Record<string, unknown>;
}

/** Adds image/ and airgap.json's `image` to a fixture bundle directory; returns the re-summed bundle. */
export async function addImageToBundle(
  bundle: FixtureBundle,
  options: BaseImageOptions = {},
): Promise<{ bundle: FixtureBundle; image: BundleImage }> {
  const layout = path.join(bundle.dir, BUNDLE.imageDir);
  const fixture = await writeBaseImageLayout(layout, options);
  const indexBytes = await fs.readFile(path.join(layout, 'blobs', 'sha256', fixture.indexDigest.slice(7)));
  const platforms = Object.values(fixture.images)
    .map((i) => ({ platform: i.platform, manifest: i.manifestDigest, size: i.manifestSize }))
    .sort((a, b) => (a.platform < b.platform ? -1 : 1));
  const layoutIndex = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: fixture.indexDigest,
          size: indexBytes.length,
          annotations: { 'org.opencontainers.image.ref.name': IMAGE_REF },
        },
        ...platforms.map((p) => ({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: p.manifest,
          size: p.size,
          platform: { os: 'linux', architecture: p.platform.split('_')[1] },
          annotations: { 'org.opencontainers.image.ref.name': p.platform },
        })),
      ],
    }),
  );
  await fs.writeFile(path.join(layout, 'index.json'), layoutIndex);
  const files = await listFiles(layout);
  const fileRefs = await Promise.all(
    files.map(async (f) => {
      const data = await fs.readFile(path.join(layout, f));
      return { path: `${BUNDLE.imageDir}/${f}`, size: data.length, sha256: sha256Hex(data) };
    }),
  );
  const section = {
    layout: BUNDLE.imageDir,
    ref: IMAGE_REF,
    digest: fixture.indexDigest,
    base: { reference: 'registry.example/base:1', digest: fixture.indexDigest },
    platforms: platforms.map((p) => ({ platform: p.platform, manifest: p.manifest })),
    tool: { name: 'tofu', version: '1.8.5' },
    files: fileRefs,
  };
  const manifestPath = path.join(bundle.dir, BUNDLE.manifest);
  const doc = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  doc['image'] = section;
  await fs.writeFile(manifestPath, `${JSON.stringify(doc, null, 2)}\n`);
  const resummed = await resum(bundle.dir, bundle.packages);
  return { bundle: resummed, image: { fixture, layoutIndex, indexBytes, files, section } };
}

/** Regular files below `root`, root-relative POSIX paths, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(path.join(dir, e.name), r);
      else out.push(r);
    }
  }
  await walk(root, '');
  return out.sort();
}

export interface FailingProxy {
  /** 127.0.0.1:PORT */
  host: string;
  /** `METHOD PATH` of every request seen, in order, and whether it was failed. */
  seen: { request: string; failed: boolean }[];
  /** Fail (HTTP 500, not forwarded) the next request whose `METHOD PATH` matches. */
  failNext(match: RegExp): void;
  stop(): Promise<void>;
}

/**
 * A plain-http reverse proxy to `upstream` (host:port) on 127.0.0.1:0. The Host header
 * is passed on unchanged, so the registry's upload Locations point back at the proxy.
 */
export async function startFailingProxy(upstream: string): Promise<FailingProxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  const seen: FailingProxy['seen'] = [];
  let fail: RegExp | undefined;
  const server = http.createServer((req, res) => {
    const request = `${req.method} ${req.url}`;
    if (fail !== undefined && fail.test(request)) {
      fail = undefined;
      seen.push({ request, failed: true });
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNKNOWN","message":"failed by the test proxy"}]}');
      return;
    }
    seen.push({ request, failed: false });
    const out = http.request(
      { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    failNext(match) {
      fail = match;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
