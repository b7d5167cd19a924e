// The airgap.yaml `airgap init` writes: the lock files found below a directory, the
// platforms, and what else was detected, with a short comment on each section. Keys
// that are not set are left as commented-out examples. An explanation is "# " and
// text; an example is "#" and the YAML line itself, indented as it would be ("#key:"
// or "#  key:"), so deleting the "#" gives a valid line. test/unit/spec/render-init.test.ts
// uncomments every example and parses the result.

import { parse } from 'yaml';
import { DEFAULT_BASE_IMAGE, DEFAULT_MIRROR_PATH } from '../config/index.js';
import { DEFAULT_PLATFORMS, parsePlatform } from '../provider/platform.js';
import { scanVersionConstraints } from '../provider/version.js';
import type { ReleaseTool } from '../releases/types.js';
import { SPEC_API_VERSION } from './types.js';

export interface InitialSpecInput {
  /** Lock files found, relative to the directory airgap.yaml goes in, "/"-separated. */
  lockfiles: readonly string[];
  /** Where they were looked for, relative to that directory, when it is another one. */
  searchedDir?: string;
  /** OS_ARCH; default linux_amd64, linux_arm64. */
  platforms?: readonly string[];
  /** Fully qualified addresses the lock files name, listed in a comment. */
  providers?: readonly string[];
  /**
   * The tool the stacks use. Absent: terraform when every provider found is on
   * registry.terraform.io (terraform wrote those lock files), else tofu.
   */
  workflowTool?: ReleaseTool;
  /** Versions or constraints found for each tool (e.g. in .opentofu-version); invalid ones are noted, not written. */
  binaries?: Partial<Record<ReleaseTool, readonly string[]>>;
  /** Bundle directory; default "bundle". */
  outDir?: string;
  /** Where editors find docs/airgap.schema.json (a URL, or a path relative to the file). */
  schema?: string;
}

const REGISTRY_OF: Record<ReleaseTool, string> = {
  tofu: 'registry.opentofu.org',
  terraform: 'registry.terraform.io',
};

/** A YAML scalar for `text`: plain when YAML reads it back unchanged, else double-quoted (JSON is YAML). */
function scalar(text: string): string {
  const plain = /^[A-Za-z0-9_./][A-Za-z0-9_./@:+~-]*$/.test(text) && !text.includes(': ');
  if (plain && parse(text) === text) return text;
  return JSON.stringify(text);
}

function flowList(items: readonly string[]): string {
  return `[${items.map((i) => JSON.stringify(i)).join(', ')}]`;
}

/**
 * A lockfiles entry that matches `path`: the path itself, or, when it holds characters
 * the pattern syntax reserves or refuses ("[", "{", "\", a leading "!", "*", control
 * characters), the same path with "?" (any one character) in their place.
 */
export function literalLockfilePattern(path: string): string {
  return [...path]
    .map((c, i) => (/[[\]{}\\*\u0000-\u001f\u007f]/.test(c) || (i === 0 && c === '!') ? '?' : c))
    .join('');
}

function guessTool(providers: readonly string[]): ReleaseTool {
  if (providers.length > 0 && providers.every((p) => p.startsWith(`${REGISTRY_OF.terraform}/`)))
    return 'terraform';
  return 'tofu';
}

function section(lines: string[], comment: readonly string[], body: readonly string[]): void {
  lines.push('', ...comment.map((c) => `# ${c}`), ...body);
}

/** The text of a new airgap.yaml. Throws USAGE for a platform that is not OS_ARCH. */
export function renderInitialSpec(input: InitialSpecInput): string {
  const platforms = [...new Set(input.platforms ?? DEFAULT_PLATFORMS)];
  for (const p of platforms) parsePlatform(p);
  const providers = [...new Set(input.providers ?? [])].sort();
  const tool = input.workflowTool ?? guessTool(providers);
  const lockfiles = [...new Set(input.lockfiles.map(literalLockfilePattern))];

  const lines: string[] = [];
  if (input.schema !== undefined) lines.push(`# yaml-language-server: $schema=${input.schema}`);
  lines.push(
    '# airgap.yaml: what crosses the air gap. `airgap mirror` reads it from this directory',
    '# (or -f FILE); a flag given on the command line wins for that run. Paths are relative',
    '# to this file. docs/SPEC-FORMAT.md describes every key; lines like "#key: value" are',
    '# examples: delete the "#" to use one.',
    '# Secrets never go here: registry tokens come from TF_TOKEN_<host> or the CLI config',
    '# (tofu login), image registry logins from the docker config (docker login), the',
    "# signing key's passphrase from AIRGAP_SIGN_PASSPHRASE.",
  );
  if (input.schema === undefined) {
    lines.push(
      '# Editors complete and check this file with docs/airgap.schema.json: add the line',
      '# "# yaml-language-server: $schema=PATH" at the top.',
    );
  }
  lines.push(`apiVersion: ${SPEC_API_VERSION}`);

  section(
    lines,
    [
      `Short provider addresses (hashicorp/aws) mean this registry: ${REGISTRY_OF.tofu}`,
      `is what tofu reads them as, ${REGISTRY_OF.terraform} what terraform does.`,
    ],
    [`defaultRegistry: ${REGISTRY_OF[tool]}`],
  );

  section(
    lines,
    ['The platforms (OS_ARCH) of the machines on the isolated side.'],
    ['platforms:', ...platforms.map((p) => `  - ${p}`)],
  );

  // A comment ends at a line break: control characters in a directory name become "?".
  const searched = input.searchedDir?.replace(/[\u0000-\u001f\u007f]/g, '?');
  const below = searched === undefined ? '' : ` below ${searched}`;
  const found =
    lockfiles.length === 0
      ? [`None were found below ${searched ?? 'this directory'}.`]
      : providers.length === 0
        ? [`Found ${lockfiles.length}${below}.`]
        : [
            `Found ${lockfiles.length}${below}, naming ${providers.length} provider(s):`,
            ...providers.map((p) => `- ${p}`),
          ];
  section(
    lines,
    [
      'Lock files whose providers are mirrored, for every platform above. Globs',
      '(stacks/**/.terraform.lock.hcl) and directories (stacks/: every lock file below)',
      'work too.',
      ...found,
    ],
    lockfiles.length === 0 ? ['lockfiles: []'] : ['lockfiles:', ...lockfiles.map((l) => `  - ${scalar(l)}`)],
  );

  section(
    lines,
    [
      'Providers to carry without a lock file: each constraint mirrors its newest match',
      '(all: true mirrors every match); the bundle gets a lock file for them.',
    ],
    [
      '#providers:',
      '#  hashicorp/aws: ["~> 5.0"]',
      '#  hashicorp/random:',
      '#    versions: [">= 3.5"]',
      '#    all: true',
    ],
  );

  section(
    lines,
    ['In-house provider packages, a zip or an executable per platform.'],
    [
      '#localProviders:',
      '#  - source: registry.example.com/myorg/thing',
      '#    version: 1.0.0',
      '#    platform: linux_amd64',
      '#    path: dist/terraform-provider-thing_1.0.0_linux_amd64.zip',
    ],
  );

  const notes: string[] = [];
  const binaries: string[] = [];
  for (const t of ['tofu', 'terraform'] as const) {
    const good: string[] = [];
    for (const v of input.binaries?.[t] ?? []) {
      const parsed = scanVersionConstraints(v);
      if (parsed.error === undefined && parsed.value.length > 0) good.push(v.trim());
      else notes.push(`Left out ${t} ${JSON.stringify(v)}: not a version or constraint.`);
    }
    const unique = [...new Set(good)];
    if (unique.length > 0) binaries.push(`  ${t}: ${flowList(unique)}`);
  }
  section(
    lines,
    ["tofu and terraform releases to bundle, checked against the vendors' release keys.", ...notes],
    binaries.length > 0
      ? ['binaries:', ...binaries]
      : ['#binaries:', `#  ${tool}: ["${tool === 'tofu' ? '~> 1.8' : '~> 1.11'}"]`],
  );

  section(
    lines,
    ['The runner image, built without Docker into the bundle (an OCI image layout).'],
    ['#image:', `#  base: ${scalar(DEFAULT_BASE_IMAGE)}`, '#  caCertificates: [certs/corp.pem]'],
  );

  section(
    lines,
    ['The configuration generated for the isolated side.'],
    [
      'configs:',
      `  workflowTool: ${tool}`,
      `#  mirrorPath: ${DEFAULT_MIRROR_PATH}`,
      '#  allowDirect: ["registry.example.com/*/*"]',
    ],
  );

  section(
    lines,
    ['Where the bundle goes, and how it is packed for the transfer.'],
    [
      'output:',
      `  dir: ${scalar(input.outDir ?? 'bundle')}`,
      '#  tarball: bundle.tar',
      '#  compress: gzip',
      '#  splitSize: 4G',
      '#  signKey: keys/signing-key.asc',
    ],
  );

  section(
    lines,
    ['Extra CA certificates to trust when reaching registries.'],
    ['#registries:', '#  caCertificates: [certs/corp.pem]'],
  );

  return `${lines.join('\n')}\n`;
}
