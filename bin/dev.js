#!/usr/bin/env -S npx tsx
// Runs the TypeScript sources directly (no build step), for development only.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
