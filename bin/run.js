#!/usr/bin/env node
// The entry point. Every command pays for what happens here: keep it to setting the
// environment oclif and the AWS SDK read, and handing over to oclif.

// The AWS SDK warns on Node < 22 about its own future releases; airgap bundles the SDK
// version it was tested with (bundleDependencies), so the warning would only be noise
// on stderr. Set here, at the entry point, not by the S3 adapter: it is process-wide.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// On import, @oclif/core checks Node against its own engines (node >= 18) with semver:
// 47 modules and ~20 ms at every start, for a check package.json's engines (node >= 20.19)
// make moot.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true';

// mirror streams ~300 MB of zips through the main thread. V8 then doubles the young
// generation's semi-spaces at each scavenge that keeps much alive, up to 16 MB each (a
// 57 MB heap); with growth off they stay small (~38 MB heap, ~15-25 MB less peak RSS, same CPU and
// wall time). Set at runtime, a V8 flag only applies to what V8 decides after it: here,
// before anything loads. (--max-semi-space-size set here has no effect: the heap is
// already configured.)
if (process.argv[2] === 'mirror') {
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--semi-space-growth-factor=1');
}

// Imported after the lines above (a static import would run before them).
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
