#!/usr/bin/env -S npx tsx
// Runs the TypeScript sources directly (no build step), for development only.
import { execute } from '@oclif/core';

// As bin/run.js: the AWS SDK's Node-version warning is noise for a bundled SDK.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await execute({ development: true, dir: import.meta.url });
