#!/usr/bin/env node
// The entry point. Every command pays for what happens here: keep it to setting the
// environment oclif and the AWS SDK read, V8's WebAssembly tiers, and handing over to oclif.
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

// Imported after the lines above (a static import would run before them).
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
