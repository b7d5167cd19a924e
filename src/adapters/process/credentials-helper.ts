// The `credentials_helper` of the CLI configuration: finding the program as tofu
// does, and running it for a host.
//
// Lookup (opentofu cmd/tofu/commands.go credentialsSource, cmd/tofu/plugins.go
// globalPluginDirs, internal/plugin/discovery/find.go): files named
// terraform-credentials-NAME or terraform-credentials-NAME_vX.Y.Z in the plugin
// directories, ~/.terraform.d/plugins and ~/.terraform.d/plugins/OS_ARCH (then the
// same under $XDG_DATA_HOME/opentofu); the newest version wins, an unversioned file
// counting as 0.0.0. Protocol (internal/command/cliconfig/svcauthconfig/helper_program.go):
// run it with the block's args followed by `get HOST` (HOST in comparison form),
// no stdin; exit status 0 and a JSON object on stdout, whose "token" string is the
// token (no "token": no credentials). The helper's stderr is not shown: it may hold
// secrets; tofu prints it, airgap says how to run the helper by hand instead.

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CredentialsHelper } from '../../core/cliconfig/types.js';
import { AirgapError } from '../../core/errors.js';

const PREFIX = 'terraform-credentials-';
/** More output than any token needs; a helper printing more is broken. */
const MAX_OUTPUT = 1024 * 1024;

/** The helper program for `name` in `dirs`, or undefined when there is none. */
export async function findCredentialsHelper(
  name: string,
  dirs: readonly string[],
): Promise<string | undefined> {
  const found: { path: string; version: number[] | undefined }[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    let entries: string[];
    try {
      // Go's os.ReadDir order: by name, bytewise.
      entries = (await fs.readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    } catch {
      continue; // missing directories are normal
    }
    for (const entry of entries) {
      if (!entry.startsWith(PREFIX)) continue;
      const meta = pluginMeta(entry);
      if (meta === undefined || meta.name !== name) continue;
      const full = path.resolve(dir, entry);
      try {
        if ((await fs.stat(full)).isDirectory()) continue;
      } catch {
        continue;
      }
      // The same name and version in a later directory is ignored (ResolvePluginPaths).
      const key = `${meta.name}\0${meta.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({ path: full, version: parseVersion(meta.version) });
    }
  }
  let best: { path: string; version: number[] } | undefined;
  for (const f of found) {
    // tofu would crash on an unparseable version; airgap passes over it.
    if (f.version === undefined) continue;
    if (best === undefined || compareVersions(f.version, best.version) > 0) {
      best = { path: f.path, version: f.version };
    }
  }
  return best?.path;
}

// discovery.ResolvePluginPaths: lower-cased, "terraform-credentials-" and ".exe"
// removed, then NAME[_vVERSION[_xN]].
function pluginMeta(fileName: string): { name: string; version: string } | undefined {
  let base = fileName.toLowerCase().slice(PREFIX.length);
  if (base === '') return undefined;
  if (base.endsWith('.exe')) base = base.slice(0, -'.exe'.length);
  const v = base.indexOf('_v');
  if (v === -1) return { name: base, version: '0.0.0' };
  let version = base.slice(v + 2);
  const x = version.indexOf('_x');
  if (x !== -1) version = version.slice(0, x);
  return { name: base.slice(0, v), version };
}

// Enough of hashicorp/go-version for choosing the newest helper: numeric segments,
// and a pre-release sorts before its release. Returns [...segments, isRelease].
function parseVersion(text: string): number[] | undefined {
  const m = /^v?([0-9]+(?:\.[0-9]+)*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(text);
  if (!m) return undefined;
  const segments = (m[1] as string).split('.').map(Number);
  while (segments.length < 3) segments.push(0);
  return [...segments.slice(0, 3), m[2] === undefined ? 1 : 0];
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The CredentialsHelper port: runs `executable ...args get HOST` with `env`. */
export function credentialsHelperProgram(
  executable: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): CredentialsHelper {
  return {
    token: (hostname) => runHelper(executable, args, hostname, env),
  };
}

function runHelper(
  executable: string,
  args: readonly string[],
  hostname: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  const command = [executable, ...args, 'get', hostname].map(shellWord).join(' ');
  const remedy = `run \`${command}\` to see what the credentials helper says`;
  const failed = (what: string, cause?: unknown): AirgapError =>
    new AirgapError(
      'CLICONFIG_INVALID',
      `the credentials helper ${executable} ${what} when asked for a token for ${hostname}`,
      { path: executable, address: hostname, ...(cause === undefined ? {} : { cause }) },
      remedy,
    );

  return new Promise((resolve, reject) => {
    const child = spawn(executable, [...args, 'get', hostname], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      shell: false,
    });
    const out: Buffer[] = [];
    let size = 0;
    let tooLong = false;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        tooLong = true;
        child.kill();
        return;
      }
      out.push(chunk);
    });
    child.stderr.resume(); // never shown: it may hold secrets
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(failed(`could not be started (${e.code ?? e.message})`)),
    );
    child.on('close', (code, signal) => {
      if (tooLong) return reject(failed(`printed more than ${MAX_OUTPUT} bytes`));
      if (signal !== null) return reject(failed(`was killed by ${signal}`));
      if (code !== 0) return reject(failed(`failed with exit status ${code}`));
      let doc: unknown;
      try {
        doc = JSON.parse(Buffer.concat(out).toString('utf8'));
      } catch {
        return reject(failed('printed something other than a JSON object'));
      }
      // JSON null: no credentials, as Go's json.Unmarshal into a map gives a nil map.
      if (doc === null) return resolve(undefined);
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        return reject(failed('printed JSON that is not an object'));
      }
      const token = (doc as Record<string, unknown>).token;
      resolve(typeof token === 'string' && token !== '' ? token : undefined);
    });
  });
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
