// The public shapes of the test registry: what a test asks for, and what it gets back.
import type { TestKey } from '../pgp.js';

export interface TestProviderSpec {
  namespace: string;
  type: string;
  versions: string[];
  /** `os_arch`, e.g. linux_amd64. */
  platforms: string[];
  /** Bytes of the executable inside the zip; default 2048. */
  payloadSize?: number;
  /** The zip also holds a "docs/" directory entry and a file in it: the golang/go#53448 trap for h1. */
  withDirectoryEntry?: boolean;
}

export interface TestPackage {
  namespace: string;
  type: string;
  version: string;
  platform: string;
  filename: string;
  /** The zip on disk. */
  path: string;
  /** Lower-case hex sha256 of the zip (the SHA256SUMS line, the `zh:` hash). */
  sha256: string;
  size: number;
  /** Go dirhash Hash1 over the zip's regular files, as the unpacked directory hashes. */
  h1: string;
}

interface FaultMatch {
  /** A string matches when the request path (without query) contains it; a RegExp is tested against it. */
  match: string | RegExp;
  /** How many matching requests the fault hits; default unlimited. */
  times?: number;
}

export type FaultRule = FaultMatch &
  (
    | { kind: 'status'; status: number; retryAfter?: number }
    /** Send the headers and part of the body (`at` bytes, default half), then destroy the socket. */
    | { kind: 'reset-mid-body'; at?: number }
    | { kind: 'slow-body'; bytesPerSecond: number }
    | { kind: 'delay'; ms: number }
    /** Zip bytes differ from SHA256SUMS and from `shasum` (one byte in the middle flipped). Zip routes only. */
    | { kind: 'tamper-package' }
    /** SHA256SUMS.sig made by another throwaway key than the one in signing_keys. Signature routes only. */
    | { kind: 'wrong-signature' }
    /** The download response's `shasum` differs from SHA256SUMS. Download-JSON routes only. */
    | { kind: 'wrong-shasum' }
  );

export type FaultKind = FaultRule['kind'];

export interface TestRegistryOptions {
  providers: TestProviderSpec[];
  /** The logical hostname used in provider addresses; default 'registry.airgap.test' (it does not resolve). */
  hostname?: string;
  /** Where packages are built and cached between runs; default a fresh temp dir, removed by close(). */
  workDir?: string;
  /** Add OpenTofu's "packages" object (per-platform zh:/h1: hashes, package_size) to download responses. */
  packagesExtension?: boolean;
  /** Bench "internet-like" mode: a delay before each response, and a per-response throughput cap. */
  shaping?: { latencyMs?: number; bytesPerSecondPerConnection?: number };
  /** When set, API endpoints (/v1/..., not discovery nor downloads) require `Authorization: Bearer <token>`. */
  token?: string;
  /** Sign with this key instead of a fresh throwaway one. */
  signingKey?: TestKey;
  /**
   * Files (zips, sums, signatures) are served with Accept-Ranges: bytes and an ETag, and a
   * `Range: bytes=N-` (with a matching If-Range, or none) gets 206 and the rest. Default
   * true; false serves as a server without range support does: the whole file, always.
   */
  ranges?: boolean;
}

export interface RequestLogEntry {
  method: string;
  /** The request target as sent, query included. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The status sent; 0 while no response has started. */
  status: number;
  /** The fault that fired on this request, if any. */
  fault?: FaultKind;
  /** Milliseconds the server waited before answering (shaped latency plus a delay fault). */
  waitedMs: number;
  /** The pacing rate the body was sent at (bytes per second), if any. */
  rate?: number;
  /** The size of every chunk written to the socket, in order. */
  writes: number[];
}

export interface TestRegistry {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The logical hostname. */
  hostname: string;
  /** PEM of the self-signed certificate (SAN IP:127.0.0.1): use as SSL_CERT_FILE or --ca-cert. */
  caCertPath: string;
  signingKey: TestKey;
  packages: TestPackage[];
  requests: RequestLogEntry[];
  /** Package (zip) GETs being answered right now, and the most at once since resetInFlight(). */
  inFlight: { packages: number; maxPackages: number };
  resetInFlight(): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /** CLI configuration (HCL): a host block pointing providers.v1 here, a credentials block when a token is set, then `extra`. */
  cliConfigText(extra?: string): string;
  close(): Promise<void>;
}
