#!/usr/bin/env node
import { execute } from '@oclif/core';

// The AWS SDK warns on Node < 22 about its own future releases; airgap bundles the SDK
// version it was tested with (bundleDependencies), so the warning would only be noise
// on stderr. Set here, at the entry point, not by the S3 adapter: it is process-wide.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await execute({ dir: import.meta.url });
