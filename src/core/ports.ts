// The interfaces the core and the services need from the outside world.
// Adapters (src/adapters/) implement them; tests hand in real local servers,
// never patched globals.

export interface HttpRequestOptions {
  /**
   * Extra request headers. Credential headers (Authorization, Cookie) are meant for
   * the URL asked for: they go only over https to its exact origin, never over plain
   * http, and are dropped for good on a redirect to another origin.
   */
  headers?: Record<string, string>;
  /** Overrides the client's default retry count for this request. */
  retries?: number;
}

export interface DownloadOptions extends HttpRequestOptions {
  /**
   * Called with the number of new bytes as they arrive; negative when a retry has to
   * drop bytes already counted (a restart from zero), so a running total stays right.
   */
  onProgress?: (bytes: number) => void;
  /** Called when an answer says how big the whole file is (Content-Length, or a 206's Content-Range). */
  onTotal?: (bytes: number) => void;
  /** Sees the file's bytes as they are written, e.g. to digest a zip without reading it back. */
  tap?: DownloadTap;
}

/** A second consumer of a download's body, in file order. */
export interface DownloadTap {
  /**
   * An attempt starts writing at byte `offset`: 0 starts the file over; any other offset
   * continues after the bytes already written (a resumed download).
   */
  begin(offset: number): void;
  /** The next bytes of the file. A returned promise holds the body back until it settles. */
  write(chunk: Uint8Array): void | Promise<void>;
  /**
   * A tap that hashes the bytes itself (off the main thread): after the last byte, the
   * lower-case hex sha256 of the whole file, or undefined when it did not see every byte
   * from the first (then the client hashes the file). The client then hashes nothing itself.
   */
  sha256?(): Promise<string | undefined>;
  /**
   * Offered after begin(offset), for each attempt: true when the tap writes the file itself
   * (`path`, from `offset`: created or truncated at 0, else continued after the bytes kept),
   * so the client opens no file and keeps no chunk once write() returned. Such a tap's
   * write() throws once it cannot write any more: a file-system error (errno, syscall, path)
   * is the download's, anything else (the thread writing was lost) ends the attempt, and the
   * next one continues from what the file holds.
   */
  writesFile?(path: string, offset: number): boolean;
  /**
   * For a tap that took the file: resolves once every byte given to write() is in the file
   * and the tap closed it; rejects as write() throws. The client waits for it at the end of
   * every attempt, failed or not, before it looks at the file.
   */
  flushed?(): Promise<void>;
}

export interface DownloadResult {
  /** Lower-case hex sha256 of the bytes written. */
  sha256: string;
  size: number;
}

/** A whole answer: status (2xx, after redirects), lower-case header names, body. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** What a HEAD request learnt. */
export interface HeadResult {
  /**
   * The size a GET would fetch, from Content-Length. Undefined when the answer has none,
   * or when the server does not answer HEAD: 405, 501, or 403 from a host a redirect led
   * to (a URL presigned for GET only).
   */
  size?: number;
  /** The status of the answer, after redirects. */
  status: number;
}

/**
 * HTTP client for GET, and HEAD to learn sizes. Non-2xx answers (after retries for
 * 408, 429, 5xx and connection resets) throw AirgapError('HTTP_ERROR') with
 * details.status and details.address set to the (redacted) URL. getJson and getBytes
 * read metadata into memory and refuse a response over 8 MiB with HTTP_ERROR; download
 * has no cap.
 */
export interface HttpClient {
  getJson(url: string, options?: HttpRequestOptions): Promise<unknown>;
  getBytes(url: string, options?: HttpRequestOptions): Promise<Uint8Array>;
  /**
   * GET read whole (under getBytes' cap) with its status and headers, for answers that
   * speak in headers: a module registry's 204 with X-Terraform-Get. Any 2xx is an answer.
   */
  getAnswer(url: string, options?: HttpRequestOptions): Promise<HttpAnswer>;
  /**
   * Streams the body into `destPath` (created or truncated), hashing while writing;
   * never holds the body in memory. A retry after a cut mid-body resumes with a Range
   * request when the first answer allowed it (Accept-Ranges: bytes, or an ETag or
   * Last-Modified sent back as If-Range), and restarts from zero when the server answers
   * the whole file instead. The sha256 is always over the whole file.
   */
  download(url: string, destPath: string, options?: DownloadOptions): Promise<DownloadResult>;
  /**
   * HEAD under GET's credential, redirect and retry rules, for the size a download
   * would have without downloading it. A 404 or any other failure throws as GET does;
   * see HeadResult for the answers that leave the size unknown instead.
   */
  head(url: string, options?: HttpRequestOptions): Promise<HeadResult>;
}

/** One line of progress or warning output; the CLI decides how to render it. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** A package was planned, started, advanced or finished; or a stage's byte count moved. */
  progress?(event: ProgressEvent): void;
}

export type ProgressEvent = PackageProgress | TaskProgress;

/**
 * One package (a provider zip, a release zip) of a run that fetches many:
 * - queued: planned, so the run's package count is known before any download starts;
 * - start: its download begins; `total` when its size is known (the registry's
 *   package_size), sent again when an answer's Content-Length tells it;
 * - bytes: `bytes` more arrived (negative: a restart dropped bytes already counted);
 * - done, cached (already in the bundle, intact), skipped, failed: finished, `bytes` its size.
 */
export interface PackageProgress {
  id: string;
  label: string;
  phase: 'queued' | 'start' | 'bytes' | 'done' | 'cached' | 'skipped' | 'failed';
  bytes?: number;
  total?: number;
}

/**
 * A stage's work counted in bytes against a total known up front: export writing the
 * tarball, import and verify reading a bundle, the image build fetching base layers and
 * writing its own. `done` is the running count (not a delta); a task with a total of
 * 0 has nothing to show. A new `label` is a new task.
 */
export interface TaskProgress {
  phase: 'task';
  label: string;
  done: number;
  total: number;
}

/** What one HTTP request got, for --verbose. The URL is redacted by the transport. */
export interface HttpRequestEvent {
  method: string;
  url: string;
  /** The answer's status; undefined when no answer came (`error` says why). */
  status?: number;
  error?: string;
}

/** Told of every HTTP request a client makes, redirects hop by hop (the --verbose log). */
export interface HttpObserver {
  onRequest?(event: HttpRequestEvent): void;
}

/** The Provider Registry Protocol as the mirror service needs it. */
export interface ProviderRegistry {
  versions(provider: RegistryProvider): Promise<import('./registry/protocol.js').ProviderVersionInfo[]>;
  download(
    provider: RegistryProvider,
    version: string,
    platform: import('./provider/platform.js').Platform,
  ): Promise<import('./registry/protocol.js').DownloadInfo>;
  /** Headers for fetching a URL the registry handed out (a token only for the registry's own origin). */
  headersFor(provider: RegistryProvider, url: string): Promise<Record<string, string>>;
}

/**
 * What the CLI configuration (and environment) says about one registry host, as tofu
 * reads it: `host` block service overrides, and the host's API token (TF_TOKEN_*,
 * `credentials` blocks, the credentials files `tofu login` writes, credentials_helper).
 * Registry clients (providers, modules) ask this, never the config or env directly.
 */
export interface RegistryHosts {
  /** The `host` block's services for this host (replacing discovery), or undefined. */
  services(hostname: string): Record<string, import('./cliconfig/types.js').ServiceValue> | undefined;
  /** Where the services came from, for messages ("host \"x\" in FILE"). */
  servicesSource(hostname: string): string | undefined;
  /** The API token for this host, or undefined. */
  token(hostname: string): Promise<string | undefined>;
}

export interface RegistryProvider {
  hostname: string;
  namespace: string;
  type: string;
}

/** A blob to push: its digest and size are known before upload (we hashed it already). */
export interface OciBlob {
  digest: string; // "sha256:<hex>"
  size: number;
  /** Streamed from this file, or sent from `bytes` (small blobs: configs, manifests). */
  path?: string;
  bytes?: Uint8Array;
}

/**
 * The OCI Distribution API, push side (and the reads a push needs). `repo` is the
 * repository name within the registry the client was made for, e.g. "tofu/hashicorp/null".
 */
export interface OciRegistryClient {
  hasBlob(repo: string, digest: string): Promise<boolean>;
  /** HEAD first; then a cross-repository mount from `mountFrom` when given; else upload. */
  pushBlob(
    repo: string,
    blob: OciBlob,
    options?: { mountFrom?: string },
  ): Promise<'exists' | 'mounted' | 'uploaded'>;
  /** PUT a manifest or index under a tag or digest; returns its digest. */
  pushManifest(
    repo: string,
    reference: string,
    manifest: { mediaType: string; bytes: Uint8Array },
  ): Promise<string>;
  /**
   * PUT a manifest that has a `subject` (distribution-spec 1.1), by digest. `ociSubject` is
   * the registry's OCI-Subject header: present when the registry indexes referrers itself,
   * absent when the client must keep the referrers tag schema. Optional: a client without
   * it is taken to be talking to a registry without the referrers API.
   */
  pushManifestWithSubject?(
    repo: string,
    digest: string,
    manifest: { mediaType: string; bytes: Uint8Array },
  ): Promise<{ digest: string; ociSubject: string | undefined }>;
  /** undefined on 404. */
  getManifest(
    repo: string,
    reference: string,
  ): Promise<{ mediaType: string; bytes: Uint8Array; digest: string } | undefined>;
}

/**
 * Where a base image comes from (`--base-image`): a registry, an OCI layout, an
 * oci-archive or a docker-archive. Adapters in src/adapters/oci/image-source/.
 */
export interface ImageSource {
  /** --base-image as given, for messages and airgap.json. */
  readonly reference: string;
  /**
   * The image for each wanted platform. A single-manifest base serves the one
   * platform its config names. Platforms the base lacks are listed in `missing`.
   */
  resolve(platforms: import('./provider/platform.js').Platform[]): Promise<ResolvedBaseImage>;
  /**
   * Writes one blob (a layer; configs and manifests come with `resolve`) to `dest`,
   * a new file, checking its size and digest against `descriptor` while streaming.
   * Retries what can be retried. Throws CHECKSUM_MISMATCH on a digest that differs.
   */
  copyBlob(
    descriptor: import('./image/oci-image.js').Descriptor,
    dest: string,
    onBytes?: (n: number) => void,
  ): Promise<void>;
  close(): Promise<void>;
}

export interface ResolvedBaseImage {
  /** Digest of what the reference names: the index, or the single manifest. */
  digest: string;
  images: BasePlatformImage[];
  /** Wanted platforms (OS_ARCH) the base has no image for. */
  missing: string[];
  /** Every platform the base offers, "linux/arm64/v8" style, for messages. */
  available: string[];
}

export interface BasePlatformImage {
  /** tofu OS_ARCH this image serves, e.g. "linux_arm64". */
  platform: string;
  /** Digest of its image manifest as the source stores it. */
  manifestDigest: string;
  /** The config blob's exact bytes (digest-checked by the source) and its parsed form. */
  config: Uint8Array;
  parsedConfig: import('./image/oci-image.js').ImageConfigDoc;
  /** Layers in order, media types as the source has them (Docker or OCI). */
  layers: import('./image/oci-image.js').Descriptor[];
}
