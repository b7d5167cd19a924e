// Reads a dependency lock file, validating it the way Terraform/OpenTofu's
// depsfile.LoadLocksFromFile does and reporting the same diagnostics
// (summaries and details), every one found in the file at once.

import type { Block, Body } from '../hcl/ast.js';
import { errorDiag, sortDiagnostics, diagnosticToError, type Diagnostic } from '../hcl/diagnostics.js';
import { parseHclFile } from '../hcl/parser.js';
import { formatHclRange, rangeBetween, type SourceRange } from '../hcl/source.js';
import { evaluate, evaluateString, staticList, valueToString } from '../hcl/value.js';
import { AirgapErrors } from '../errors.js';
import {
  formatProviderAddress,
  isBuiltInProvider,
  isLegacyProvider,
  parseProviderSource,
  providerAddressEquals,
  type ProviderAddress,
} from '../provider/address.js';
import {
  formatVersion,
  formatVersionConstraints,
  scanVersion,
  scanVersionConstraints,
} from '../provider/version.js';
import {
  defaultRegistryHost,
  detectLockTool,
  type LockFile,
  type LockTool,
  type LockedProvider,
} from './model.js';

export interface ParseLockFileOptions {
  /**
   * Accept `constraints` that parse but are not in the normalised form tofu and
   * terraform require (a hand-written "~>1.8"), for a caller that rewrites the
   * file (`mirror --update-lockfiles`). The provider's `constraints` holds the
   * normalised form, `constraintsAsWritten` the text found.
   */
  normaliseConstraints?: boolean;
}

/**
 * Parses and validates a lock file. Throws AirgapErrors listing every
 * problem: syntax errors first (code HCL_SYNTAX), then lock-file errors
 * (code LOCKFILE_INVALID), each `FILE:LINE:COL: Summary; detail`.
 */
const LOCKFILE_REMEDY =
  'fix the lock file at the position shown, or regenerate it with `tofu providers lock` (or `terraform providers lock`)';

export function parseLockFile(text: string, filename: string, options: ParseLockFileOptions = {}): LockFile {
  const file = parseHclFile(text, filename);
  const tool = detectLockTool(text);
  const decoded = decodeLocks(file.body, tool, options);

  const syntax = sortDiagnostics(file.diagnostics.filter((d) => d.severity === 'error'));
  const invalid = sortDiagnostics(decoded.diagnostics.filter((d) => d.severity === 'error'));
  if (syntax.length + invalid.length > 0) {
    throw new AirgapErrors([
      ...syntax.map((d) => diagnosticToError(d, 'HCL_SYNTAX', LOCKFILE_REMEDY)),
      ...invalid.map((d) => diagnosticToError(d, 'LOCKFILE_INVALID', LOCKFILE_REMEDY)),
    ]);
  }
  return { providers: decoded.providers, tool };
}

interface Decoded {
  providers: LockedProvider[];
  diagnostics: Diagnostic[];
}

const TOP_BLOCKS: Record<string, string> = { provider: 'source_addr', module: 'path' };
const PROVIDER_ATTRS = ['version', 'constraints', 'hashes'];

function decodeLocks(body: Body, tool: LockTool, options: ParseLockFileOptions): Decoded {
  const diags: Diagnostic[] = [];
  const providers: LockedProvider[] = [];
  const seen: { address: ProviderAddress; defRange: SourceRange }[] = [];

  for (const attr of body.attributes) {
    const blockHint =
      attr.name in TOP_BLOCKS ? ` Did you mean to define a block of type ${JSON.stringify(attr.name)}?` : '';
    diags.push(
      errorDiag(
        'Unsupported argument',
        `An argument named ${JSON.stringify(attr.name)} is not expected here.${blockHint}`,
        attr.nameRange,
      ),
    );
  }

  for (const block of body.blocks) {
    const labelName = TOP_BLOCKS[block.type];
    if (labelName === undefined) {
      const suggestion = nameSuggestion(block.type, Object.keys(TOP_BLOCKS));
      diags.push(
        errorDiag(
          'Unsupported block type',
          `Blocks of type ${JSON.stringify(block.type)} are not expected here.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ''}`,
          block.typeRange,
        ),
      );
      continue;
    }
    if (!checkLabels(block, labelName, diags)) continue;
    // Module locks are reserved for the future; tofu only warns about them.
    if (block.type === 'module') continue;

    const address = decodeProviderAddress(block, tool, diags);
    if (address === undefined) continue;

    // Checked before the body so a duplicate reports just that, not also
    // every problem inside the block that will be discarded anyway.
    const previous = seen.find((s) => providerAddressEquals(s.address, address));
    const defRange = rangeBetween(block.typeRange, block.labelRanges[0] ?? block.typeRange);
    if (previous) {
      diags.push(
        errorDiag(
          'Duplicate provider lock',
          `This lockfile already declared a lock for provider ${formatProviderAddress(address)} at ${formatHclRange(previous.defRange)}.`,
          block.typeRange,
        ),
      );
      continue;
    }
    seen.push({ address, defRange });

    const lock = decodeProviderBody(block, address, diags, options);
    if (lock !== undefined) providers.push(lock);
  }

  return { providers, diagnostics: diags };
}

function checkLabels(block: Block, labelName: string, diags: Diagnostic[]): boolean {
  if (block.labels.length > 1) {
    diags.push(
      errorDiag(
        `Extraneous label for ${block.type}`,
        `Only 1 labels (${labelName}) are expected for ${block.type} blocks.`,
        block.labelRanges[1] ?? block.typeRange,
      ),
    );
    return false;
  }
  if (block.labels.length < 1) {
    diags.push(
      errorDiag(
        `Missing ${labelName} for ${block.type}`,
        `All ${block.type} blocks must have 1 labels (${labelName}).`,
        { ...block.body.range, end: block.body.range.start },
      ),
    );
    return false;
  }
  return true;
}

function decodeProviderAddress(
  block: Block,
  tool: LockTool,
  diags: Diagnostic[],
): ProviderAddress | undefined {
  const raw = block.labels[0] as string;
  const subject = block.labelRanges[0] as SourceRange;
  const product = tool === 'terraform' ? 'Terraform' : 'OpenTofu';
  let address: ProviderAddress;
  try {
    address = parseProviderSource(raw, defaultRegistryHost(tool));
  } catch {
    diags.push(
      errorDiag(
        'Invalid provider source address',
        'The provider source address for a provider lock must be a valid, fully-qualified address of the form "hostname/namespace/type".',
        subject,
      ),
    );
    return undefined;
  }
  if (isBuiltInProvider(address)) {
    diags.push(
      errorDiag(
        'Invalid provider source address',
        `Cannot lock a version for built-in provider ${formatProviderAddress(address)}. Built-in providers are bundled inside ${product} itself, so you can't select a version for them independently of the ${product} release you are currently running.`,
        subject,
      ),
    );
    return undefined;
  }
  if (isLegacyProvider(address)) {
    diags.push(
      errorDiag(
        'Invalid provider source address',
        `Provider source address ${formatProviderAddress(address)} is a special provider that is not eligible for dependency locking.`,
        subject,
      ),
    );
    return undefined;
  }
  const canonical = formatProviderAddress(address);
  if (canonical !== raw) {
    diags.push(
      errorDiag(
        'Non-normalized provider source address',
        `The provider source address for this provider lock must be written as ${JSON.stringify(canonical)}, the fully-qualified and normalized form.`,
        subject,
      ),
    );
    return undefined;
  }
  return address;
}

function decodeProviderBody(
  block: Block,
  address: ProviderAddress,
  diags: Diagnostic[],
  options: ParseLockFileOptions,
): LockedProvider | undefined {
  const body = block.body;
  const name = formatProviderAddress(address);
  const before = diags.length;

  for (const attr of body.attributes) {
    if (PROVIDER_ATTRS.includes(attr.name)) continue;
    const defined = new Set(body.attributes.map((a) => a.name));
    const suggestion = nameSuggestion(
      attr.name,
      PROVIDER_ATTRS.filter((a) => !defined.has(a)),
    );
    diags.push(
      errorDiag(
        'Unsupported argument',
        `An argument named ${JSON.stringify(attr.name)} is not expected here.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ''}`,
        attr.nameRange,
      ),
    );
  }
  for (const nested of body.blocks) {
    const argHint = PROVIDER_ATTRS.includes(nested.type)
      ? ` Did you mean to define argument ${JSON.stringify(nested.type)}? If so, use the equals sign to assign it a value.`
      : '';
    diags.push(
      errorDiag(
        'Unsupported block type',
        `Blocks of type ${JSON.stringify(nested.type)} are not expected here.${argHint}`,
        nested.typeRange,
      ),
    );
  }

  const versionAttr = body.attributes.find((a) => a.name === 'version');
  let version = '';
  if (versionAttr === undefined) {
    diags.push(
      errorDiag(
        'Missing required argument',
        'The argument "version" is required, but no definition was found.',
        { ...body.range, end: body.range.start },
      ),
    );
  } else {
    const raw = evaluateString(versionAttr.expr, diags);
    if (raw === null) {
      diags.push(
        errorDiag(
          'Missing required argument',
          'A provider lock block must contain a "version" argument.',
          versionAttr.expr.range,
        ),
      );
    } else if (raw !== undefined) {
      const parsed = scanVersion(raw);
      if (parsed.error !== undefined) {
        diags.push(
          errorDiag(
            'Invalid provider version number',
            `The selected version number for provider ${name} is invalid: ${parsed.error}.`,
            versionAttr.expr.range,
          ),
        );
      }
      version = formatVersion(parsed.value);
      if (version !== raw) {
        diags.push(
          errorDiag(
            'Invalid provider version number',
            `The selected version number for provider ${name} must be written in normalized form: ${JSON.stringify(version)}.`,
            versionAttr.expr.range,
          ),
        );
      }
    }
  }

  let constraints: string | undefined;
  let constraintsAsWritten: LockedProvider['constraintsAsWritten'];
  const constraintsAttr = body.attributes.find((a) => a.name === 'constraints');
  if (constraintsAttr !== undefined) {
    const value = evaluate(constraintsAttr.expr, diags);
    const raw = value === undefined ? undefined : valueToString(value, constraintsAttr.expr, diags);
    if (raw === null) {
      diags.push(
        errorDiag(
          'Unsuitable value type',
          'Unsuitable value: value must not be null',
          constraintsAttr.expr.range,
        ),
      );
    } else if (raw !== undefined) {
      const parsed = scanVersionConstraints(raw);
      if (parsed.error !== undefined) {
        diags.push(
          errorDiag(
            'Invalid provider version constraints',
            `The recorded version constraints for provider ${name} are invalid: ${parsed.error}.`,
            constraintsAttr.expr.range,
          ),
        );
      }
      constraints = formatVersionConstraints(parsed.value);
      // tofu refuses the file here (internal/depsfile/locks_file.go,
      // decodeProviderVersionConstraintsArgument), and so does terraform 1.11.
      if (constraints !== raw && parsed.error === undefined && options.normaliseConstraints === true) {
        constraintsAsWritten = { text: raw, range: constraintsAttr.expr.range };
      } else if (constraints !== raw) {
        diags.push(
          errorDiag(
            'Invalid provider version constraints',
            `The recorded version constraints for provider ${name} must be written in normalized form: ${JSON.stringify(constraints)}.`,
            constraintsAttr.expr.range,
          ),
        );
      }
    }
  }

  const hashes: string[] = [];
  const hashesAttr = body.attributes.find((a) => a.name === 'hashes');
  if (hashesAttr !== undefined) {
    const list = staticList(hashesAttr.expr, diags);
    if (list !== undefined && list.items.length === 0) {
      diags.push(
        errorDiag(
          'Invalid provider hash set',
          'The "hashes" argument must either be omitted or contain at least one hash value.',
          hashesAttr.expr.range,
        ),
      );
    }
    for (const item of list?.items ?? []) {
      const raw = evaluateString(item, diags);
      if (raw === null) {
        diags.push(
          errorDiag('Unsuitable value type', 'Unsuitable value: value must not be null', item.range),
        );
        continue;
      }
      if (raw === undefined) continue;
      // Any "scheme:value" is accepted, so that hashes of schemes from newer
      // releases pass through; a zero-length scheme is not.
      if (raw.indexOf(':') < 1) {
        diags.push(
          errorDiag(
            'Invalid provider hash string',
            `Cannot interpret ${JSON.stringify(raw)} as a provider hash: hash string must start with a scheme keyword followed by a colon.`,
            item.range,
          ),
        );
        continue;
      }
      hashes.push(raw);
    }
  }

  if (diags.length > before) return undefined;
  const lock: LockedProvider = { address, version, hashes, range: block.range };
  if (constraints !== undefined && constraints !== '') lock.constraints = constraints;
  if (constraintsAsWritten !== undefined) lock.constraintsAsWritten = constraintsAsWritten;
  return lock;
}

// hclsyntax's nameSuggestion: the first candidate within edit distance 2.
function nameSuggestion(given: string, candidates: readonly string[]): string | undefined {
  return candidates.find((c) => levenshtein(given, c) < 3);
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
