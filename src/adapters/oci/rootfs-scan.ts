// A base image's root filesystem as its layers build it, without extracting it:
// each layer tar (plain or gzip, streamed) is applied over the ones below with the
// image-spec's whiteouts (`.wh.NAME` removes NAME and all below it from the lower
// layers; `.wh..wh..opq` hides a directory's lower content). The result answers
// what exists, where symlinks lead, and the content of a few small files.
//
// Capture rule: `capture` names paths (plus etc/passwd, always); what is kept is the
// content of the regular file each of them resolves to through symlinks (and a
// hardlink's target), whatever its own path. Paths that resolve elsewhere than
// themselves are only known once every layer is applied, so those layers are read
// a second time, for those files alone. Files above 16 MiB are not kept.
import fs from 'node:fs';
import { AirgapError, isAirgapError } from '../../core/errors.js';
import { layerCompression, ociLayerMediaType } from '../../core/image/oci-image.js';
import { effectiveName } from '../../core/transfer/entry-policy.js';
import { readTarEntries, tarStream } from '../archive/tar-read.js';

export interface RootfsEntry {
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  size: number;
  linkname?: string;
}

export interface RootfsView {
  /** `p` like "/bin/ps" or "bin/ps"; symlinks are not followed. */
  stat(p: string): RootfsEntry | undefined;
  /**
   * `p` with every symlink followed (absolute targets are rootfs-relative; parents
   * too; at most 16 hops), as "/a/b"; undefined when dangling or a loop.
   */
  resolve(p: string): string | undefined;
  /** Content of the regular file `p` resolves to, when it was captured (see the module header). */
  read(p: string): Uint8Array | undefined;
  /** Whether the captured /etc/passwd has a line with this uid. */
  hasUser(uid: number): boolean;
}

export interface RootfsLayer {
  path: string;
  mediaType: string;
}

const MAX_CAPTURE = 16 * 1024 * 1024;
const MAX_HOPS = 16;
const PASSWD = 'etc/passwd';
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

interface Node {
  entry: RootfsEntry;
  /** Index of the layer the entry comes from: a capture counts only if it is from the same layer. */
  layer: number;
  children?: Map<string, Node>;
}

/** One layer's changes before they are applied: whiteouts apply to lower layers only. */
interface UpperNode {
  entry?: RootfsEntry;
  whiteout?: boolean;
  opaque?: boolean;
  children: Map<string, UpperNode>;
}

interface Captured {
  layer: number;
  bytes: Uint8Array;
}

/** Normalized rootfs-relative path: no leading "./" or "/", no trailing "/". */
export function normalizeRootfsPath(p: string): string {
  return p.replace(/^(?:\.\/|\/)+/, '').replace(/\/+$/, '');
}

export async function scanRootfs(layers: RootfsLayer[], capture: readonly string[]): Promise<RootfsView> {
  const root: Node = { entry: { type: 'directory', mode: 0o755, size: 0 }, layer: -1, children: new Map() };
  const wanted = new Set([PASSWD, ...capture.map(normalizeRootfsPath)]);
  const captured = new Map<string, Captured>();
  for (const [i, layer] of layers.entries()) {
    const upper: UpperNode = { children: new Map() };
    await readLayer(
      layer,
      i,
      (name, entry) => {
        const parts = name.split('/');
        const base = parts.pop()!;
        if (base === OPAQUE) {
          upperAt(upper, parts).opaque = true;
          return false;
        }
        if (base.startsWith(WHITEOUT)) {
          upperAt(upper, [...parts, base.slice(WHITEOUT.length)]).whiteout = true;
          return false;
        }
        upperAt(upper, [...parts, base]).entry = entry;
        return entry.type === 'file' && wanted.has(name) && entry.size <= MAX_CAPTURE;
      },
      (name, bytes) => captured.set(name, { layer: i, bytes }),
    );
    merge(root, root, upper, i, []);
  }

  const resolveParts = (p: string): string[] | undefined => resolveIn(root, p);
  const lookup = (parts: string[]): Node | undefined => lookupIn(root, parts);

  /** The regular file `p` ends at (through symlinks and a hardlink), with its node. */
  function finalFile(p: string): { path: string; node: Node } | undefined {
    const parts = resolveParts(p);
    if (parts === undefined) return undefined;
    let path = parts.join('/');
    let node = lookup(parts);
    if (node?.entry.type === 'hardlink') {
      path = normalizeRootfsPath(node.entry.linkname ?? '');
      node = lookup(path.split('/'));
    }
    return node?.entry.type === 'file' ? { path, node } : undefined;
  }

  // Second pass: files that captured paths resolve to under other names.
  const missing = new Map<number, Set<string>>();
  for (const name of wanted) {
    const file = finalFile(name);
    if (file === undefined || file.node.entry.size > MAX_CAPTURE) continue;
    if (captured.get(file.path)?.layer === file.node.layer) continue;
    const set = missing.get(file.node.layer) ?? new Set<string>();
    set.add(file.path);
    missing.set(file.node.layer, set);
  }
  for (const [i, names] of missing) {
    await readLayer(
      layers[i]!,
      i,
      (name, entry) => entry.type === 'file' && names.has(name),
      (name, bytes) => captured.set(name, { layer: i, bytes }),
    );
  }

  function read(p: string): Uint8Array | undefined {
    const file = finalFile(p);
    if (file === undefined) return undefined;
    const c = captured.get(file.path);
    return c !== undefined && c.layer === file.node.layer ? c.bytes : undefined;
  }

  return {
    stat(p) {
      const name = normalizeRootfsPath(p);
      const node = name === '' ? root : lookup(name.split('/'));
      return node === undefined ? undefined : { ...node.entry };
    },
    resolve(p) {
      const parts = resolveParts(p);
      return parts === undefined ? undefined : `/${parts.join('/')}`;
    },
    read,
    hasUser(uid) {
      const passwd = read(PASSWD);
      if (passwd === undefined) return false;
      return Buffer.from(passwd)
        .toString('utf8')
        .split('\n')
        .some((line) => !line.startsWith('#') && line.split(':')[2] === String(uid));
    },
  };
}

function lookupIn(root: Node, parts: string[]): Node | undefined {
  let node: Node | undefined = root;
  for (const part of parts) {
    node = node.children?.get(part);
    if (node === undefined) return undefined;
  }
  return node;
}

/** Path components of `p` with every symlink followed; undefined when dangling or looping. */
function resolveIn(root: Node, p: string): string[] | undefined {
  const done: string[] = [];
  const queue = normalizeRootfsPath(p).split('/');
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const node = lookupIn(root, [...done, part]);
    if (node === undefined) return undefined;
    if (node.entry.type === 'symlink') {
      if (++hops > MAX_HOPS) return undefined;
      const target = node.entry.linkname ?? '';
      if (target.startsWith('/')) done.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    done.push(part);
  }
  return done;
}

function upperAt(upper: UpperNode, parts: string[]): UpperNode {
  let node = upper;
  for (const part of parts) {
    let child = node.children.get(part);
    if (child === undefined) {
      child = { children: new Map() };
      node.children.set(part, child);
    }
    node = child;
  }
  return node;
}

/** Applies one layer's changes to the tree below it (`at`: where `lower` is). */
function merge(root: Node, lower: Node, upper: UpperNode, layer: number, at: string[]): void {
  lower.children ??= new Map();
  for (const [name, u] of upper.children) {
    if (u.whiteout) lower.children.delete(name);
    const isDirectory =
      u.entry === undefined ? u.children.size > 0 || u.opaque === true : u.entry.type === 'directory';
    if (u.entry !== undefined && !isDirectory) {
      // A non-directory replaces whatever was there, a directory's content included.
      lower.children.set(name, { entry: u.entry, layer });
      continue;
    }
    if (!isDirectory) continue; // only a whiteout
    let l = lower.children.get(name);
    if (u.entry === undefined && l?.entry.type === 'symlink') {
      // Content under a symlinked directory (usrmerge's /lib -> usr/lib) lands where the link leads,
      // as unpacking onto the lower layers does.
      const target = resolveIn(root, [...at, name].join('/'));
      const dir = target === undefined ? undefined : lookupIn(root, target);
      if (target !== undefined && dir?.entry.type === 'directory') {
        merge(root, dir, { ...u, whiteout: false }, layer, target);
        continue;
      }
    }
    if (l === undefined || l.entry.type !== 'directory') {
      l = { entry: u.entry ?? { type: 'directory', mode: 0o755, size: 0 }, layer, children: new Map() };
      lower.children.set(name, l);
    } else if (u.entry !== undefined) {
      l.entry = u.entry;
      l.layer = layer;
    }
    if (u.opaque) l.children = new Map();
    merge(root, l, u, layer, [...at, name]);
  }
}

/** Says whether to keep the entry's content. */
type OnEntry = (name: string, entry: RootfsEntry) => boolean;

async function readLayer(
  layer: RootfsLayer,
  index: number,
  onEntry: OnEntry,
  onCapture: (name: string, bytes: Uint8Array) => void,
): Promise<void> {
  const where = `base layer ${index + 1} (${layer.path})`;
  const compression = layerCompression(ociLayerMediaType(layer.mediaType, where));
  const magic = await firstBytes(layer.path, where);
  const zstd = magic[0] === 0x28 && magic[1] === 0xb5 && magic[2] === 0x2f && magic[3] === 0xfd;
  if (compression === 'zstd' || zstd) {
    throw new AirgapError(
      'IMAGE_INVALID',
      `${where} is zstd-compressed; zstd base layers can't be inspected on Node 20`,
      { path: layer.path, expected: 'a plain or gzip layer', actual: layer.mediaType },
    );
  }
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const input = fs.createReadStream(layer.path);
  try {
    for await (const entry of readTarEntries(tarStream(input, gzip), where)) {
      const raw = effectiveName(entry);
      const name = normalizeRootfsPath(raw);
      if (entry.kind === 'pax-global-header' || name === '' || name === '.') continue;
      if (name.split('/').includes('..')) {
        throw new AirgapError(
          'IMAGE_INVALID',
          `${where}: entry ${JSON.stringify(raw)} has a ".." component`,
          {
            path: layer.path,
            expected: 'paths inside the root filesystem',
            actual: raw,
          },
        );
      }
      const type = entryType(entry.kind);
      const rootfsEntry: RootfsEntry = {
        type,
        mode: entry.mode & 0o7777,
        size: type === 'file' ? entry.size : 0,
        ...(type === 'symlink' || type === 'hardlink' ? { linkname: entry.linkName } : {}),
      };
      if (onEntry(name, rootfsEntry)) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry.body as AsyncIterable<Buffer>) chunks.push(chunk);
        onCapture(name, Buffer.concat(chunks));
      }
    }
  } catch (error) {
    if (isAirgapError(error) && error.code === 'IMAGE_INVALID') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new AirgapError('IMAGE_INVALID', `${where} is not a readable layer tar: ${message}`, {
      path: layer.path,
      expected: 'a tar archive (plain or gzip)',
      actual: message.slice(0, 200),
      cause: error,
    });
  } finally {
    input.destroy();
  }
}

function entryType(kind: string): RootfsEntry['type'] {
  switch (kind) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
    case 'symlink':
    case 'hardlink':
      return kind;
    default:
      return 'other';
  }
}

async function firstBytes(file: string, where: string): Promise<Buffer> {
  const magic = Buffer.alloc(4);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new AirgapError(
      code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'FS_ERROR',
      `${where}: cannot read ${file} (${code})`,
      {
        path: file,
        cause,
      },
    );
  }
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  return magic;
}
