// Reads the parts of a tofu/terraform CLI configuration file (.tofurc,
// .terraformrc) that airgap uses: `host` blocks (service discovery
// overrides) and `credentials` blocks. Everything else (provider_installation,
// plugin_cache_dir, credentials_helper, ...) must parse but is ignored.

import type { Block } from '../hcl/ast.js';
import { diagnosticToError, errorDiag, sortDiagnostics, type Diagnostic } from '../hcl/diagnostics.js';
import { parseHclFile } from '../hcl/parser.js';
import { evaluate, evaluateString, type HclValue } from '../hcl/value.js';
import { AirgapErrors } from '../errors.js';
import { checkHostname } from '../provider/address.js';
import type { CliConfig, HostBlock, ServiceValue } from './types.js';

/**
 * Parses CLI configuration text. Throws AirgapErrors: code HCL_SYNTAX for
 * syntax errors, CLICONFIG_INVALID for malformed host/credentials blocks,
 * each message `FILE:LINE:COL: Summary; detail`.
 */
export function parseCliConfig(text: string, filename: string): CliConfig {
  // The CLI config is HCL 1 in tofu, which keeps "${...}" in strings as
  // literal text (tofu expands environment references itself).
  const file = parseHclFile(text, filename, { templates: 'literal' });
  const syntax = sortDiagnostics(file.diagnostics.filter((d) => d.severity === 'error'));
  if (syntax.length > 0) throw new AirgapErrors(syntax.map((d) => diagnosticToError(d, 'HCL_SYNTAX')));

  const diags: Diagnostic[] = [];
  const config: CliConfig = { hosts: {}, credentials: {}, sourcePath: filename };
  const seenHosts = new Map<string, Block>();
  const seenCredentials = new Map<string, Block>();

  for (const block of file.body.blocks) {
    if (block.type === 'host') {
      const name = blockHostname(block, seenHosts, diags);
      if (name === undefined) continue;
      const host = decodeHost(block, diags);
      if (host !== undefined) config.hosts[name] = host;
    } else if (block.type === 'credentials') {
      const name = blockHostname(block, seenCredentials, diags);
      if (name === undefined) continue;
      const token = decodeToken(block, name, diags);
      if (token !== undefined) config.credentials[name] = { token };
    }
  }

  const errors = sortDiagnostics(diags);
  if (errors.length > 0) throw new AirgapErrors(errors.map((d) => diagnosticToError(d, 'CLICONFIG_INVALID')));
  return config;
}

// The block's single label, a valid hostname not already configured by an
// earlier block of the same type (compared in normalized form).
function blockHostname(block: Block, seen: Map<string, Block>, diags: Diagnostic[]): string | undefined {
  if (block.labels.length !== 1) {
    diags.push(
      errorDiag(
        `Invalid ${block.type} block`,
        `A ${block.type} block must have exactly one label, the hostname, e.g. ${block.type} "registry.example.com" { ... }; found ${block.labels.length}.`,
        block.typeRange,
      ),
    );
    return undefined;
  }
  const name = block.labels[0] as string;
  const subject = block.labelRanges[0] ?? block.typeRange;
  const host = checkHostname(name);
  if (!host.ok) {
    diags.push(
      errorDiag(
        'Invalid hostname',
        `The ${block.type} ${JSON.stringify(name)} block has an invalid hostname: ${host.reason}.`,
        subject,
      ),
    );
    return undefined;
  }
  const previous = seen.get(host.value);
  if (previous !== undefined) {
    const prevRange = previous.labelRanges[0] ?? previous.typeRange;
    diags.push(
      errorDiag(
        `Duplicate ${block.type} block`,
        `Host ${JSON.stringify(name)} is already configured by the ${block.type} ${JSON.stringify(previous.labels[0])} block at ${prevRange.filename}:${prevRange.start.line}:${prevRange.start.column}.`,
        subject,
      ),
    );
    return undefined;
  }
  seen.set(host.value, block);
  return name;
}

function decodeHost(block: Block, diags: Diagnostic[]): HostBlock | undefined {
  const attr = block.body.attributes.find((a) => a.name === 'services');
  if (attr === undefined) return { services: {} };
  const before = diags.length;
  const value = evaluate(attr.expr, diags);
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    diags.push(
      errorDiag(
        'Invalid services',
        `The "services" argument of host ${JSON.stringify(block.labels[0])} must be an object mapping service IDs (e.g. "providers.v1") to URLs; found ${describe(value)}.`,
        attr.expr.range,
      ),
    );
    return undefined;
  }
  const services: Record<string, ServiceValue> = {};
  for (const [id, v] of Object.entries(value)) {
    if (typeof v === 'string' || isObject(v)) {
      services[id] = v;
      continue;
    }
    const item = attr.expr.kind === 'object' ? attr.expr.items.find((i) => i.key === id) : undefined;
    diags.push(
      errorDiag(
        'Invalid service URL',
        `Service ${JSON.stringify(id)} of host ${JSON.stringify(block.labels[0])} must be a URL string or an object; found ${describe(v)}.`,
        item?.value.range ?? attr.expr.range,
      ),
    );
  }
  return diags.length > before ? undefined : { services };
}

function decodeToken(block: Block, name: string, diags: Diagnostic[]): string | undefined {
  const attr = block.body.attributes.find((a) => a.name === 'token');
  if (attr === undefined) {
    diags.push(
      errorDiag(
        'Missing token',
        `The credentials ${JSON.stringify(name)} block has no "token" argument; write token = "..." inside it.`,
        block.typeRange,
      ),
    );
    return undefined;
  }
  const token = evaluateString(attr.expr, diags);
  if (token === null || token === '') {
    diags.push(
      errorDiag(
        'Missing token',
        `The "token" argument of credentials ${JSON.stringify(name)} must be a non-empty string.`,
        attr.expr.range,
      ),
    );
    return undefined;
  }
  return token;
}

function isObject(v: HclValue): v is { [key: string]: HclValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: HclValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v} (${JSON.stringify(v)})`;
}
