#!/usr/bin/env node
// The entry point. Every command pays for what happens here: keep it to setting the
// environment oclif and the AWS SDK read, V8's flags, and handing over to oclif.
import { setFlagsFromString } from 'node:v8';

// The AWS SDK warns on Node < 22 about its own future releases; airgap bundles the SDK
// version it was tested with (bundleDependencies), so the warning would only be noise
// on stderr. Set here, at the entry point, not by the S3 adapter: it is process-wide.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// On import, @oclif/core checks Node against its own engines (node >= 18) with semver:
// 47 modules and ~20 ms at every start, for a check package.json's engines (node >= 20.19)
// make moot.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true';

// undici parses HTTP with llhttp compiled to WebAssembly, and V8 compiles a module
// twice: at once with its baseline compiler (Liftoff), then again with TurboFan on a
// background thread: ~0.2 CPU-s in every command that makes a request. The baseline
// code is as fast for what airgap parses (a 512 MB download costs the same CPU).
setFlagsFromString('--liftoff-only');

// V8 doubles the young generation whenever the bytes that survived its collections add up
// to its size: over mirror's downloads, survivors (chunks in flight, promises) always do,
// and it grows to 2 x 16 MiB that stay resident though at most a few MiB are ever live.
// Kept at its start size, the mirror's main heap is ~27 MB instead of ~56 MB (bench corpus:
// peak RSS 136-138 MB against 152-155 MB) for ~0.03-0.06 s more collecting. It must be set
// before module loading grows the young generation (set at the start of the command's run,
// the peak stayed at ~155 MB), so here, and for mirror only: process-wide it made import
// ~0.25 s slower (0.3 CPU-s more collecting a 300 MB tarball's pieces). The zip-hash
// workers set it again, as a worker's start resets it.
if (process.argv[2] === 'mirror') setFlagsFromString('--semi-space-growth-factor=1');

// Imported after the lines above (a static import would run before them).
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
