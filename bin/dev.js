#!/usr/bin/env -S npx tsx
// Runs the TypeScript sources directly (no build step), for development only.

// As bin/run.js: the AWS SDK's Node-version warning is noise for a bundled SDK, and
// oclif's check of its own engines costs start-up time.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true';

const { execute } = await import('@oclif/core');
await execute({ development: true, dir: import.meta.url });
