#!/usr/bin/env node
// The entry point. Every command pays for what happens here: keep it to setting the
// environment oclif and the AWS SDK read, the heap's growth, and handing over to oclif.
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
// to its size: over a long download, survivors (chunks in flight, promises) always do, and
// it grows to 2 x 16 MiB that stay resident though at most a few MiB are ever live. Kept
// at its start size, the mirror's main heap is ~27 MB instead of ~56 MB (bench corpus,
// peak RSS ~15-20 MB lower) for ~0.03-0.06 s more collecting; export and verify measured
// no slower. V8 reads the factor at each growth: set it before module loading grows it.
// Process-wide: worker threads' young generations too (zip-hash-worker.ts sets it again,
// since starting a worker resets V8's flags).
setFlagsFromString('--semi-space-growth-factor=1');

// Imported after the lines above (a static import would run before them).
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
