// Decodes one CLI configuration file (HCL 1 or JSON, see hcl1.ts) into the parts
// airgap uses: `host` blocks (service discovery overrides), `credentials` blocks and
// the `credentials_helper` block. Everything else (provider_installation,
// plugin_cache_dir, ...) must parse but is ignored.
//
// The shapes follow what HCL 1 decoding into tofu's Config struct accepts
// (opentofu internal/command/cliconfig/cliconfig.go, `hcl:"host"` etc.): a block
// `host "NAME" { ... }`, the same as an argument `host = { "NAME" = { ... } }`, and
// in JSON `"host": { "NAME": { ... } }` or a list of such objects. Block names match
// case-insensitively, as HCL 1's ObjectList.Filter does. Where tofu would quietly
// take the last of two blocks for the same host in one file, airgap reports the
// duplicate.

import { AirgapError, AirgapErrors } from '../errors.js';
import { diagnosticToError, errorDiag, sortDiagnostics, type Diagnostic } from '../hcl/diagnostics.js';
import type { SourceLocator } from '../hcl/source.js';
import { checkHostname } from '../provider/address.js';
import { parseHcl1, type Hcl1Item, type Hcl1Key, type Hcl1Node, type Hcl1Object } from './hcl1.js';
import type { CliConfig, HostBlock, ServiceValue } from './types.js';

/**
 * Parses CLI configuration text. Throws AirgapErrors: code HCL_SYNTAX for a syntax
 * error, CLICONFIG_INVALID for malformed host/credentials/credentials_helper blocks,
 * each message `FILE:LINE:COL: Summary; detail`.
 */
export function parseCliConfig(text: string, filename: string): CliConfig {
  let file;
  try {
    file = parseHcl1(text, filename);
  } catch (e) {
    if (e instanceof AirgapError) throw new AirgapErrors([e]);
    throw e;
  }
  const d = new Decoder(file.locator);
  const config: CliConfig = { hosts: {}, credentials: {}, sourcePath: filename };

  const seenHosts = new Map<string, Hcl1Key>();
  for (const entry of d.blocks(file.root, 'host')) {
    const name = d.hostLabel(entry, seenHosts);
    if (name === undefined) continue;
    const host = d.host(entry, name);
    if (host !== undefined) config.hosts[name] = { ...host, sourcePath: filename };
  }

  const seenCredentials = new Map<string, Hcl1Key>();
  for (const entry of d.blocks(file.root, 'credentials')) {
    const name = d.hostLabel(entry, seenCredentials);
    if (name === undefined) continue;
    const token = d.token(entry, name);
    if (token !== undefined) config.credentials[name] = { token };
  }

  let helperLabel: Hcl1Key | undefined;
  for (const entry of d.blocks(file.root, 'credentials_helper')) {
    if (helperLabel !== undefined) {
      d.error(
        entry.label.at,
        helperLabel.name === entry.label.name
          ? 'Duplicate credentials_helper block'
          : 'Too many credentials_helper blocks',
        `No more than one credentials_helper block may be specified; ${JSON.stringify(helperLabel.name)} is already configured at ${d.where(helperLabel.at)}.`,
      );
      continue;
    }
    helperLabel = entry.label;
    const args = d.helperArgs(entry);
    if (args !== undefined) config.credentialsHelper = { name: entry.label.name, args, sourcePath: filename };
  }

  d.throwIfErrors();
  return config;
}

interface BlockEntry {
  /** Offset of the block type keyword, e.g. `host`. */
  typeAt: number;
  type: string;
  label: Hcl1Key;
  body: Hcl1Node;
}

class Decoder {
  private readonly diags: Diagnostic[] = [];

  constructor(private readonly loc: SourceLocator) {}

  error(at: number, summary: string, detail: string): void {
    this.diags.push(errorDiag(summary, detail, this.loc.range(at, at)));
  }

  where(at: number): string {
    const p = this.loc.pos(at);
    return `${this.loc.filename}:${p.line}:${p.column}`;
  }

  throwIfErrors(): void {
    const errors = sortDiagnostics(this.diags);
    if (errors.length > 0) {
      throw new AirgapErrors(
        errors.map((diag) =>
          diagnosticToError(
            diag,
            'CLICONFIG_INVALID',
            'fix the CLI configuration at the position shown (the files tofu reads are listed in the README)',
          ),
        ),
      );
    }
  }

  /** Every `TYPE "LABEL" { ... }` in the file, in any of the forms HCL 1 decodes alike. */
  blocks(root: Hcl1Object, type: string): BlockEntry[] {
    const out: BlockEntry[] = [];
    for (const item of root.items) {
      const [first, ...rest] = item.keys;
      if (first === undefined || !sameName(first.name, type)) continue;
      const label = rest[0];
      if (label !== undefined && rest.length === 1) {
        out.push({ typeAt: first.at, type, label, body: item.value });
        continue;
      }
      if (rest.length > 1 || !item.assign) {
        this.error(
          first.at,
          `Invalid ${type} block`,
          `A ${type} block must have exactly one label, the ${type === 'credentials_helper' ? 'helper name' : 'hostname'}, e.g. ${type} "${type === 'credentials_helper' ? 'example' : 'registry.example.com'}" { ... }; found ${rest.length}.`,
        );
        continue;
      }
      // `host = { "NAME" = { ... } }`, or JSON `"host": { "NAME": { ... } }` / `[ { ... } ]`.
      const maps = this.objects(item.value);
      if (maps === undefined) {
        this.error(
          item.value.at,
          `Invalid ${type} argument`,
          `"${first.name}" must be an object keyed by ${type === 'credentials_helper' ? 'helper name' : 'hostname'}; found ${describe(item.value)}.`,
        );
        continue;
      }
      for (const map of maps) {
        for (const sub of map.items) {
          out.push({ typeAt: first.at, type, label: sub.keys[0] as Hcl1Key, body: nestedValue(sub) });
        }
      }
    }
    return out;
  }

  /** The block's label as a valid hostname not already configured in this file (compared normalized). */
  hostLabel(entry: BlockEntry, seen: Map<string, Hcl1Key>): string | undefined {
    const name = entry.label.name;
    const host = checkHostname(name);
    if (!host.ok) {
      this.error(
        entry.label.at,
        'Invalid hostname',
        `The ${entry.type} ${JSON.stringify(name)} block has an invalid hostname: ${host.reason}.`,
      );
      return undefined;
    }
    const previous = seen.get(host.value);
    if (previous !== undefined) {
      this.error(
        entry.label.at,
        `Duplicate ${entry.type} block`,
        `Host ${JSON.stringify(name)} is already configured by the ${entry.type} ${JSON.stringify(previous.name)} block at ${this.where(previous.at)}.`,
      );
      return undefined;
    }
    seen.set(host.value, entry.label);
    return name;
  }

  host(entry: BlockEntry, name: string): HostBlock | undefined {
    const body = this.body(entry);
    if (body === undefined) return undefined;
    const services: Record<string, ServiceValue> = {};
    let ok = true;
    for (const value of attributes(body, 'services')) {
      const maps = this.objects(value);
      if (maps === undefined) {
        this.error(
          value.at,
          'Invalid services',
          `The "services" argument of host ${JSON.stringify(name)} must be an object mapping service IDs (e.g. "providers.v1") to URLs; found ${describe(value)}.`,
        );
        ok = false;
        continue;
      }
      for (const map of maps) {
        for (const item of map.items) {
          const id = (item.keys[0] as Hcl1Key).name;
          const v = nestedValue(item);
          if (v.kind === 'string') services[id] = v.value;
          else if (v.kind === 'object') services[id] = plain(v) as Record<string, unknown>;
          else {
            this.error(
              v.at,
              'Invalid service URL',
              `Service ${JSON.stringify(id)} of host ${JSON.stringify(name)} must be a URL string or an object; found ${describe(v)}.`,
            );
            ok = false;
          }
        }
      }
    }
    return ok ? { services } : undefined;
  }

  token(entry: BlockEntry, name: string): string | undefined {
    const body = this.body(entry);
    if (body === undefined) return undefined;
    const values = attributes(body, 'token');
    const value = values[values.length - 1];
    if (value === undefined) {
      this.error(
        entry.typeAt,
        'Missing token',
        `The credentials ${JSON.stringify(name)} block has no "token" argument; write token = "..." inside it.`,
      );
      return undefined;
    }
    if (values.length > 1) {
      this.error(
        value.at,
        'Duplicate token',
        `The credentials ${JSON.stringify(name)} block sets "token" twice.`,
      );
      return undefined;
    }
    if (value.kind !== 'string' || value.value === '') {
      this.error(
        value.at,
        'Missing token',
        `The "token" argument of credentials ${JSON.stringify(name)} must be a non-empty string.`,
      );
      return undefined;
    }
    return value.value;
  }

  helperArgs(entry: BlockEntry): string[] | undefined {
    const body = this.body(entry);
    if (body === undefined) return undefined;
    const values = attributes(body, 'args');
    const value = values[values.length - 1];
    if (value === undefined) return [];
    const args: string[] = [];
    const elements = value.kind === 'list' ? value.elements : undefined;
    // HCL 1 decodes a number into a string field as its text; so does airgap.
    for (const e of elements ?? []) {
      if (e.kind === 'string') args.push(e.value);
      else if (e.kind === 'number') args.push(String(e.value));
      else {
        this.error(
          e.at,
          'Invalid credentials_helper args',
          `Each element of "args" must be a string; found ${describe(e)}.`,
        );
        return undefined;
      }
    }
    if (elements === undefined) {
      this.error(
        value.at,
        'Invalid credentials_helper args',
        `The "args" argument of credentials_helper ${JSON.stringify(entry.label.name)} must be a list of strings; found ${describe(value)}.`,
      );
      return undefined;
    }
    return args;
  }

  private body(entry: BlockEntry): Hcl1Object[] | undefined {
    const objects = this.objects(entry.body);
    if (objects === undefined) {
      this.error(
        entry.body.at,
        `Invalid ${entry.type} block`,
        `The body of ${entry.type} ${JSON.stringify(entry.label.name)} must be an object; found ${describe(entry.body)}.`,
      );
    }
    return objects;
  }

  // An object, or (HCL 1's JSON flattening) a non-empty list of objects.
  private objects(node: Hcl1Node): Hcl1Object[] | undefined {
    if (node.kind === 'object') return [node];
    if (node.kind === 'list' && node.elements.length > 0 && node.elements.every((e) => e.kind === 'object')) {
      return node.elements as Hcl1Object[];
    }
    return undefined;
  }
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

// `a "b" { ... }` is `a = { "b" = { ... } }`: the value of an item seen from its first key.
function nestedValue(item: Hcl1Item): Hcl1Node {
  const rest = item.keys.slice(1);
  const second = rest[0];
  if (second === undefined) return item.value;
  return { kind: 'object', items: [{ keys: rest, value: item.value, assign: item.assign }], at: second.at };
}

function attributes(objects: Hcl1Object[], name: string): Hcl1Node[] {
  return objects.flatMap((o) =>
    o.items.filter((i) => sameName((i.keys[0] as Hcl1Key).name, name)).map(nestedValue),
  );
}

function plain(node: Hcl1Node): unknown {
  switch (node.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const item of node.items) out[(item.keys[0] as Hcl1Key).name] = plain(nestedValue(item));
      return out;
    }
    case 'list':
      return node.elements.map(plain);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

function describe(node: Hcl1Node): string {
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'list':
      return 'a list';
    case 'object':
      return 'an object';
    case 'bool':
      return `a boolean (${node.value})`;
    default:
      return `a ${node.kind} (${JSON.stringify(node.value)})`;
  }
}
