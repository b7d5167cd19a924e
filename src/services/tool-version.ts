// The tool's own version, from package.json (same relative path from src/ and dist/).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

export const TOOL_VERSION: string = pkg.version;
export const USER_AGENT = `airgap/${TOOL_VERSION}`;
