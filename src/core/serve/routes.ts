// The routes of `airgap serve` (docs/SERVE.md), pure: decoded path segments and the
// catalogue in, what to answer out. The adapter does the I/O.
//
//   /.well-known/terraform.json                              service discovery: modules.v1
//   /v1/modules/HOST/NS/NAME/SYSTEM/versions                 Module Registry Protocol
//   /v1/modules/HOST/NS/NAME/SYSTEM/VERSION/download         204, X-Terraform-Get: the zip
//   /modules/HOST/NS/NAME/SYSTEM/VERSION.zip                 the module package
//   /providers/HOST/NS/TYPE/{index.json,VERSION.json,*.zip}  Provider Network Mirror Protocol

import { BUNDLE, SERVE_URL } from '../layout/names.js';
import { moduleKey, type ServeCatalogue, type ServedFile } from './catalogue.js';

export type ServeAnswer =
  | { kind: 'json'; body: string }
  | { kind: 'download'; location: string }
  | { kind: 'file'; file: ServedFile; contentType: string }
  | { kind: 'error'; status: 404 | 405; reason: string };

export const ALLOWED_METHODS = ['GET', 'HEAD'] as const;

/**
 * `baseUrl`: "https://HOST:PORT" as the client reached us, for the absolute X-Terraform-Get
 * (go-getter needs the scheme to fetch the zip, and `.zip` at the end to unpack it).
 */
export function route(
  method: string,
  segments: readonly string[],
  catalogue: ServeCatalogue,
  baseUrl: string,
): ServeAnswer {
  if (!(ALLOWED_METHODS as readonly string[]).includes(method)) {
    return { kind: 'error', status: 405, reason: `method ${method} is not served (read-only)` };
  }
  const [first, ...rest] = segments;
  if (first === '.well-known' && rest.length === 1 && rest[0] === 'terraform.json') {
    return { kind: 'json', body: `${JSON.stringify({ 'modules.v1': `/${SERVE_URL.moduleApi}/` })}\n` };
  }
  if (first === SERVE_URL.moduleApi.split('/')[0] && rest[0] === SERVE_URL.moduleApi.split('/')[1]) {
    return moduleApi(rest.slice(1), catalogue, baseUrl);
  }
  if (first === SERVE_URL.providers || first === SERVE_URL.modules) {
    const dir = first === SERVE_URL.providers ? BUNDLE.providersDir : BUNDLE.modulesDir;
    const rel = [dir, ...rest].join('/');
    const file = rest.length > 0 && rest.at(-1) !== '' ? catalogue.files.get(rel) : undefined;
    if (file === undefined) return notFound();
    return { kind: 'file', file, contentType: contentTypeOf(rel) };
  }
  return notFound();
}

function moduleApi(parts: readonly string[], catalogue: ServeCatalogue, baseUrl: string): ServeAnswer {
  const [hostname, namespace, name, system, ...tail] = parts;
  if (hostname === undefined || namespace === undefined || name === undefined || system === undefined) {
    return notFound();
  }
  const versions = catalogue.modules.get(moduleKey({ hostname, namespace, name, system }));
  if (versions === undefined) return notFound();
  if (tail.length === 1 && tail[0] === 'versions') {
    const body = { modules: [{ versions: versions.map((v) => ({ version: v.version })) }] };
    return { kind: 'json', body: `${JSON.stringify(body)}\n` };
  }
  if (tail.length === 2 && tail[1] === 'download') {
    const found = versions.find((v) => v.version === tail[0]);
    if (found === undefined) return notFound();
    const url = `${baseUrl}/${found.path.split('/').map(encodeURIComponent).join('/')}`;
    return { kind: 'download', location: found.subdir === undefined ? url : `${url}//${found.subdir}` };
  }
  return notFound();
}

function notFound(): ServeAnswer {
  return { kind: 'error', status: 404, reason: 'not found' };
}

export function contentTypeOf(path: string): string {
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.zip')) return 'application/zip';
  return 'application/octet-stream';
}
