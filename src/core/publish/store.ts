// The port `airgap publish` needs from an object store, and nothing more: the S3 adapter
// (src/adapters/s3/mirror-store.ts) implements it; the service sees only this.

export interface StoredObject {
  /** The full object key. */
  key: string;
  size: number;
}

export interface PutRequest {
  key: string;
  /** The local file to upload. */
  file: string;
  size: number;
  /** Lower-case hex; stored in the object's metadata, and sent as its SHA-256 checksum for the store to check. */
  sha256: string;
  contentType: string;
}

export interface MirrorStore {
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): Promise<StoredObject[]>;
  /** The object's sha256 (hex) from its metadata or its stored SHA-256 checksum; undefined when neither says. */
  sha256Of(key: string): Promise<string | undefined>;
  put(request: PutRequest): Promise<void>;
  delete(key: string): Promise<void>;
}
