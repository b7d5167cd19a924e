// `airgap inventory DIR` (docs/INVENTORY-FORMAT.md): what an import destination's live
// generation holds (every file, hashed) and which bundles were imported into it, as the
// isolated side reports it back; and how `airgap export --base inventory.json` measures a
// delta against it. Pure: the service hashes the files and signs.

import type { DeltaBase } from '../bundle/delta.js';
import { isPlacedInGeneration } from '../bundle/delta.js';
import type { FileRef } from '../bundle/manifest.js';
import { compareStrings } from '../compare.js';
import { AirgapError } from '../errors.js';
import type { ImportRecord, ImportState } from './import-state.js';

export const INVENTORY_SCHEMA_VERSION = 1;
export const INVENTORY_KIND = 'airgap-inventory';
export const SIGNED_INVENTORY_KIND = 'airgap-inventory-signed';

/** One import into the destination, oldest first. */
export interface InventoryBundle {
  sequence: number;
  bundleDigest: string;
  createdAt: string;
  generation: string;
  kind: 'full' | 'delta';
  /** A delta's base, as its airgap.json named it. */
  base?: { bundleDigest?: string; manifestSha256: string; createdAt: string };
}

export interface Inventory {
  schemaVersion: typeof INVENTORY_SCHEMA_VERSION;
  kind: typeof INVENTORY_KIND;
  /** The live generation and the platform its bin/ was filled for. */
  generation: string;
  hostPlatform: string;
  /** The bundle the live generation came from: its identity and its complete file list, as imported. */
  live: {
    bundleDigest: string;
    /** sha256 of its airgap.json; absent when the import predates this record. */
    manifestSha256?: string;
    createdAt: string;
    kind: 'full' | 'delta';
    /** airgap.json's complete file list (what a full bundle of this state carries); [] when not recorded. */
    files: FileRef[];
  };
  /** Every import into the destination, oldest first. */
  bundles: InventoryBundle[];
  /** Every regular file of the live generation, generation-relative, hashed when the inventory was made; sorted by path. */
  files: FileRef[];
}

/** The signed form: the inventory's exact text and an OpenPGP detached signature over its UTF-8 bytes. */
export interface SignedInventory {
  schemaVersion: typeof INVENTORY_SCHEMA_VERSION;
  kind: typeof SIGNED_INVENTORY_KIND;
  /** The inventory document, exactly as signed. */
  inventory: string;
  /** Base64 of the binary detached signature (as SHA256SUMS.sig in a bundle). */
  signature: string;
  /** Fingerprint of the signing (sub)key's primary key, for a person to read; the signature is what counts. */
  signedBy: string;
}

function bundleOf(r: ImportRecord): InventoryBundle {
  return {
    sequence: r.sequence,
    bundleDigest: r.bundleDigest,
    createdAt: r.createdAt,
    generation: r.generation,
    kind: r.kind ?? 'full',
    ...(r.base === undefined ? {} : { base: r.base }),
  };
}

export function buildInventory(state: ImportState, files: readonly FileRef[]): Inventory {
  const c = state.current;
  return {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    kind: INVENTORY_KIND,
    generation: c.generation,
    hostPlatform: state.hostPlatform,
    live: {
      bundleDigest: c.bundleDigest,
      ...(c.manifestSha256 === undefined ? {} : { manifestSha256: c.manifestSha256 }),
      createdAt: c.createdAt,
      kind: c.kind ?? 'full',
      files: [...(c.contents.bundleFiles ?? [])],
    },
    bundles: state.history.map(bundleOf),
    files: [...files]
      .map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }))
      .sort((a, b) => compareStrings(a.path, b.path)),
  };
}

/** Two-space JSON with a trailing newline: the same DIR gives the same bytes. */
export function renderInventory(doc: Inventory | SignedInventory): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** What `--base FILE` found in a JSON file: an inventory, signed or not. */
export type InventoryDocument =
  { signed: false; inventory: Inventory } | { signed: true; envelope: SignedInventory; inventory: Inventory };

/** Whether parsed JSON is meant as an inventory (so --base reads it as one, not as airgap.json). */
export function isInventoryJson(doc: unknown): boolean {
  return isObj(doc) && (doc.kind === INVENTORY_KIND || doc.kind === SIGNED_INVENTORY_KIND);
}

/** Reads an inventory or its signed envelope; anything else is refused naming the file and key. */
export function parseInventoryDocument(doc: unknown, source: string): InventoryDocument {
  if (isObj(doc) && doc.kind === SIGNED_INVENTORY_KIND) {
    checkVersion(doc, source);
    if (typeof doc.inventory !== 'string')
      throw bad(source, 'inventory', 'the signed inventory text', doc.inventory);
    if (typeof doc.signature !== 'string' || !/^[A-Za-z0-9+/=]+$/.test(doc.signature)) {
      throw bad(source, 'signature', 'base64 of an OpenPGP signature', doc.signature);
    }
    let inner: unknown;
    try {
      inner = JSON.parse(doc.inventory);
    } catch (e) {
      throw bad(source, 'inventory', 'JSON text', (e as Error).message);
    }
    return {
      signed: true,
      envelope: doc as unknown as SignedInventory,
      inventory: checkInventory(inner, source),
    };
  }
  return { signed: false, inventory: checkInventory(doc, source) };
}

function checkVersion(doc: Record<string, unknown>, source: string): void {
  if (doc.schemaVersion !== INVENTORY_SCHEMA_VERSION) {
    throw bad(
      source,
      'schemaVersion',
      `${INVENTORY_SCHEMA_VERSION} (this airgap reads inventory format ${INVENTORY_SCHEMA_VERSION})`,
      doc.schemaVersion,
    );
  }
}

const SHA = /^[0-9a-f]{64}$/;

function checkFiles(v: unknown, where: string, source: string): FileRef[] {
  if (!Array.isArray(v)) throw bad(source, where, 'a list of {path, size, sha256}', v);
  v.forEach((f, i) => {
    if (
      !isObj(f) ||
      typeof f.path !== 'string' ||
      !Number.isSafeInteger(f.size) ||
      typeof f.sha256 !== 'string' ||
      !SHA.test(f.sha256)
    ) {
      throw bad(source, `${where}[${i}]`, '{"path", "size", "sha256": 64 lower-case hex}', f);
    }
  });
  return v as FileRef[];
}

function checkInventory(doc: unknown, source: string): Inventory {
  if (!isObj(doc) || doc.kind !== INVENTORY_KIND) {
    throw bad(
      source,
      'kind',
      `"${INVENTORY_KIND}" (the output of airgap inventory)`,
      isObj(doc) ? doc.kind : doc,
    );
  }
  checkVersion(doc, source);
  const live = doc.live;
  if (!isObj(live)) throw bad(source, 'live', 'an object', live);
  if (typeof live.bundleDigest !== 'string' || !SHA.test(live.bundleDigest)) {
    throw bad(source, 'live.bundleDigest', '64 lower-case hex digits', live.bundleDigest);
  }
  if (
    live.manifestSha256 !== undefined &&
    (typeof live.manifestSha256 !== 'string' || !SHA.test(live.manifestSha256))
  ) {
    throw bad(source, 'live.manifestSha256', '64 lower-case hex digits', live.manifestSha256);
  }
  if (typeof live.createdAt !== 'string')
    throw bad(source, 'live.createdAt', 'an RFC 3339 time', live.createdAt);
  checkFiles(live.files, 'live.files', source);
  checkFiles(doc.files, 'files', source);
  if (!Array.isArray(doc.bundles)) throw bad(source, 'bundles', 'a list', doc.bundles);
  return doc as unknown as Inventory;
}

/**
 * The sha256 a delta may leave out for a receiver this inventory describes: the files its live
 * generation holds (hashed), and of the live bundle's recorded list the files no import keeps
 * (lock files, configs, other platforms' releases, release sums: verified and dropped by every
 * import, never needed by one). A receiver holding exactly bundle B so gives the delta
 * `export --base B` gives.
 */
export function inventoryDigests(inv: Inventory): Set<string> {
  const held = inv.files.map((f) => f.sha256);
  const dropped = inv.live.files.filter((f) => !isPlacedInGeneration(f.path)).map((f) => f.sha256);
  return new Set([...held, ...dropped]);
}

/**
 * The base a delta built from this inventory names: the live bundle, as a delta built from
 * that bundle would name it. `fallbackSha256` (the inventory's own sha256) stands in for
 * airgap.json's when the import predates that record.
 */
export function inventoryDeltaBase(inv: Inventory, fallbackSha256: string): DeltaBase {
  return {
    manifestSha256: inv.live.manifestSha256 ?? fallbackSha256,
    bundleDigest: inv.live.bundleDigest,
    createdAt: inv.live.createdAt,
  };
}

function bad(source: string, key: string, expected: string, found: unknown): AirgapError {
  const actual = JSON.stringify(found)?.slice(0, 120) ?? 'nothing';
  return new AirgapError(
    'USAGE',
    `--base ${source}: ${key}: expected ${expected}, found ${actual}`,
    { path: source, expected, actual },
    'pass the file `airgap inventory DIR` wrote, unchanged, or a previous bundle',
  );
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
