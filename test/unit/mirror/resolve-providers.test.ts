// `providers:` entries of airgap.yaml against the versions a registry lists: tofu's
// matching (go-versions MeetingConstraints), the newest per item or all with `all`,
// platforms reported not chosen by, and errors that point into the file.
import { describe, expect, it } from 'vitest';
import { AirgapError, AirgapErrors, exitCodeOf } from '../../../src/core/errors.js';
import {
  meetsVersionConstraints,
  platformGapErrors,
  resolveProviders,
  type ResolvedProvider,
} from '../../../src/core/mirror/resolve-providers.js';
import { scanVersion, scanVersionConstraints } from '../../../src/core/provider/version.js';
import type { ProviderVersionInfo } from '../../../src/core/registry/protocol.js';
import { parseSpec } from '../../../src/core/spec/parse.js';

const BOTH = ['linux_amd64', 'linux_arm64'];

function listing(versions: string[], platforms: string[] = BOTH): ProviderVersionInfo[] {
  return versions.map((version) => ({ version, protocols: ['5.0'], platforms }));
}

/** The registry lists versions in no particular order; these are shuffled on purpose. */
const AWS = listing(['5.0.0', '4.67.0', '5.82.1', '6.0.0-beta1', '5.81.0', '3.76.1', '6.0.0-beta2']);

function resolve(
  yaml: string,
  available: Record<string, ProviderVersionInfo[]>,
  platforms: string[] = BOTH,
): ResolvedProvider[] {
  const spec = parseSpec(`apiVersion: airgap/v1\n${yaml}`, 'airgap.yaml');
  return resolveProviders({
    file: spec.file,
    providers: spec.providers?.value ?? [],
    available: new Map(Object.entries(available)),
    platforms,
  });
}

/** version -> the items it meets, as written. */
function summary(resolved: ResolvedProvider[]): Record<string, Record<string, string[]>> {
  return Object.fromEntries(
    resolved.map((r) => [
      r.key,
      Object.fromEntries(r.versions.map((v) => [v.version, v.constraints.map((c) => c.value)])),
    ]),
  );
}

function failure(fn: () => unknown): AirgapError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AirgapError);
    return e as AirgapError;
  }
  throw new Error('expected an error');
}

const AWS_KEY = 'registry.opentofu.org/hashicorp/aws';

describe('resolveProviders: which versions', () => {
  it('mirrors the newest listed version an item meets, whatever order the registry lists them in', () => {
    const r = resolve("providers:\n  hashicorp/aws: ['~> 5.0']\n", { [AWS_KEY]: AWS });
    expect(r).toEqual([
      {
        source: { value: 'hashicorp/aws', at: { line: 3, col: 3 } },
        address: { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'aws' },
        key: AWS_KEY,
        versions: [
          {
            version: '5.82.1',
            constraints: [{ value: '~> 5.0', at: { line: 3, col: 19 } }],
            listedPlatforms: BOTH,
            missingPlatforms: [],
          },
        ],
      },
    ]);
  });

  it('takes the newest of each item: two items meeting one version give it once, with both', () => {
    const random = listing(['3.1.0', '3.5.1', '3.6.3', '2.3.4', '4.0.0']);
    const key = 'registry.opentofu.org/hashicorp/random';
    expect(
      summary(resolve("providers:\n  hashicorp/random: ['~> 3.6', '~> 3.1']\n", { [key]: random })),
    ).toEqual({ [key]: { '3.6.3': ['~> 3.6', '~> 3.1'] } });
    expect(
      summary(resolve("providers:\n  hashicorp/random: ['~> 3.1', '~> 2.0']\n", { [key]: random })),
    ).toEqual({ [key]: { '2.3.4': ['~> 2.0'], '3.6.3': ['~> 3.1'] } });
    // 4.0.0 is chosen for ">= 3.0" only; 3.6.3 for "~> 3.1", and it meets ">= 3.0" too.
    expect(
      summary(resolve("providers:\n  hashicorp/random: ['>= 3.0', '~> 3.1']\n", { [key]: random })),
    ).toEqual({ [key]: { '3.6.3': ['>= 3.0', '~> 3.1'], '4.0.0': ['>= 3.0'] } });
  });

  it('with all: true, mirrors every listed version that meets an item, in ascending order', () => {
    const nul = listing(['3.0.0', '3.1.0', '3.2.4', '3.2.1', '4.0.0', '3.3.0-alpha1', '2.1.2']);
    const key = 'registry.opentofu.org/hashicorp/null';
    const r = resolve(
      "providers:\n  hashicorp/null:\n    versions: ['>= 3.1, < 4.0', '2.1.2']\n    all: true\n",
      { [key]: nul },
    );
    expect(summary(r)).toEqual({
      [key]: {
        '2.1.2': ['2.1.2'],
        '3.1.0': ['>= 3.1, < 4.0'],
        '3.2.1': ['>= 3.1, < 4.0'],
        '3.2.4': ['>= 3.1, < 4.0'],
      },
    });
    expect(r[0]?.versions.map((v) => v.version)).toEqual(['2.1.2', '3.1.0', '3.2.1', '3.2.4']);
  });

  it('chooses a prerelease only when an "=" part names it exactly', () => {
    const pick = (item: string, versions = AWS): string[] =>
      resolve(`providers:\n  hashicorp/aws: ['${item}']\n`, { [AWS_KEY]: versions })[0]!.versions.map(
        (v) => v.version,
      );
    expect(pick('6.0.0-beta1')).toEqual(['6.0.0-beta1']);
    expect(pick('= 6.0.0-beta2')).toEqual(['6.0.0-beta2']);
    expect(pick('= 6.0.0-beta1, < 7.0')).toEqual(['6.0.0-beta1']);
    // A lower bound that is a prerelease requests neither it nor any later prerelease.
    expect(pick('>= 3.0')).toEqual(['5.82.1']);
    expect(pick('< 6.0.0')).toEqual(['5.82.1']);
    const released = listing(['5.82.1', '6.0.0-beta1', '6.0.0-beta2', '6.0.0', '6.1.0-rc1']);
    expect(pick('>= 6.0.0-beta1', released)).toEqual(['6.0.0']);
    const e = failure(() => resolve("providers:\n  hashicorp/aws: ['> 6.0.0']\n", { [AWS_KEY]: released }));
    expect(e.message).toBe(`airgap.yaml:3:19: no version of ${AWS_KEY} matches > 6.0.0; newest is 6.0.0`);
  });

  it('refuses a "~>" of a prerelease when only prereleases would match it', () => {
    const e = failure(() => resolve("providers:\n  hashicorp/aws: ['~> 6.0.0-beta1']\n", { [AWS_KEY]: AWS }));
    expect(e.message).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches ~> 6.0.0-beta1; nearest are 5.82.1 and 6.0.0-beta1`,
    );
  });

  it('writes versions in canonical form and reads each once', () => {
    const key = 'registry.opentofu.org/acme/widget';
    const r = resolve('providers:\n  acme/widget:\n    versions: [">= 1.0"]\n    all: true\n', {
      [key]: listing(['1.0', '1.0.0', '1.1.0']),
    });
    expect(r[0]?.versions.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
  });

  it('fails the whole list on a string that is no version, as tofu does', () => {
    const e = failure(() =>
      resolve("providers:\n  hashicorp/aws: ['~> 5.0']\n", { [AWS_KEY]: listing(['5.0.0', 'latest']) }),
    );
    expect(e.code).toBe('REGISTRY_PROTOCOL');
    expect(e.message).toBe(
      `the registry's version list for ${AWS_KEY} includes "latest", which is not a version: invalid specification; required format is three positive integers separated by periods`,
    );
  });
});

describe('resolveProviders: errors point into airgap.yaml', () => {
  it('names the position, the address, the constraint and the newest version', () => {
    const e = failure(() => resolve("providers:\n  hashicorp/aws: ['~> 9.0']\n", { [AWS_KEY]: AWS }));
    expect(e).not.toBeInstanceOf(AirgapErrors);
    expect(e.code).toBe('PROVIDER_NOT_FOUND');
    expect(e.message).toBe(`airgap.yaml:3:19: no version of ${AWS_KEY} matches ~> 9.0; newest is 5.82.1`);
    expect(e.details).toEqual({
      path: 'airgap.yaml:3:19',
      provider: AWS_KEY,
      expected: '~> 9.0',
      actual: '5.82.1',
    });
    expect(e.remedy).toBe(
      `change the constraint in airgap.yaml to one that a listed version of ${AWS_KEY} meets`,
    );
    expect(exitCodeOf([e])).toBe(3);
  });

  it('names the versions on either side of a gap, or the oldest, or the only one', () => {
    const message = (item: string, versions = AWS): string =>
      failure(() => resolve(`providers:\n  hashicorp/aws: ['${item}']\n`, { [AWS_KEY]: versions })).message;
    expect(message('~> 4.70')).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches ~> 4.70; nearest are 4.67.0 and 5.0.0`,
    );
    expect(message('5.31.7')).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches 5.31.7; nearest are 5.0.0 and 5.81.0`,
    );
    expect(message('< 3.0')).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches < 3.0; oldest is 3.76.1`,
    );
    expect(message('!= 5.0.0', listing(['5.0.0']))).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches != 5.0.0; the only version listed is 5.0.0`,
    );
    expect(message('~> 1.0', listing(['1.0.0-rc1', '1.0.0-rc2']))).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches ~> 1.0; the registry lists only prereleases (newest 1.0.0-rc2), and a prerelease matches only when named exactly ("= 1.0.0-rc2")`,
    );
    // Naming a prerelease brings prereleases into the neighbourhood.
    expect(message('6.0.0-beta3')).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches 6.0.0-beta3; newest is 6.0.0-beta2`,
    );
    expect(message('~> 1.0', [])).toBe(
      `airgap.yaml:3:19: no version of ${AWS_KEY} matches ~> 1.0; the registry lists no versions of it`,
    );
  });

  it('reports every item nothing meets, across providers, in file order', () => {
    const nul = 'registry.opentofu.org/hashicorp/null';
    const e = failure(() =>
      resolve(
        'providers:\n  hashicorp/aws:\n    - "~> 9.0"\n    - "~> 5.0"\n    - "= 5.1.0"\n  hashicorp/null: [">= 4"]\n',
        { [AWS_KEY]: AWS, [nul]: listing(['3.2.4']) },
      ),
    );
    expect(e).toBeInstanceOf(AirgapErrors);
    expect((e as AirgapErrors).errors.map((x) => x.message)).toEqual([
      `airgap.yaml:4:7: no version of ${AWS_KEY} matches ~> 9.0; newest is 5.82.1`,
      `airgap.yaml:6:7: no version of ${AWS_KEY} matches = 5.1.0; nearest are 5.0.0 and 5.81.0`,
      `airgap.yaml:7:20: no version of ${nul} matches >= 4; the only version listed is 3.2.4`,
    ]);
  });

  it('names the item under `versions:` in the map form', () => {
    const e = failure(() =>
      resolve("providers:\n  hashicorp/aws:\n    versions: ['~> 9.0']\n    all: true\n", { [AWS_KEY]: AWS }),
    );
    expect(e.message).toBe(`airgap.yaml:4:16: no version of ${AWS_KEY} matches ~> 9.0; newest is 5.82.1`);
  });
});

describe('resolveProviders: platforms are reported, not chosen by', () => {
  const PARTIAL: ProviderVersionInfo[] = [
    { version: '5.81.0', protocols: ['5.0'], platforms: ['linux_amd64', 'linux_arm64', 'darwin_arm64'] },
    { version: '5.82.1', protocols: ['5.0'], platforms: ['linux_amd64', 'darwin_arm64'] },
  ];

  it('keeps the newest matching version and names the platforms it lacks, and the newest that has them', () => {
    const r = resolve("providers:\n  hashicorp/aws: ['~> 5.0']\n", { [AWS_KEY]: PARTIAL });
    expect(r[0]?.versions).toEqual([
      {
        version: '5.82.1',
        constraints: [{ value: '~> 5.0', at: { line: 3, col: 19 } }],
        listedPlatforms: ['darwin_arm64', 'linux_amd64'],
        missingPlatforms: ['linux_arm64'],
        newestWithEveryPlatform: '5.81.0',
      },
    ]);
    const errors = platformGapErrors('airgap.yaml', r);
    expect(errors.map((e) => [e.code, e.message, e.remedy])).toEqual([
      [
        'PLATFORM_MISSING',
        `airgap.yaml:3:19: ${AWS_KEY} 5.82.1 (matching ~> 5.0) has no package for linux_arm64 in the registry's list (it lists darwin_arm64, linux_amd64); 5.81.0 is the newest version matching ~> 5.0 that has them all`,
        'pin "5.81.0" for hashicorp/aws in airgap.yaml, drop linux_arm64 from platforms, or pass --skip-missing-platforms to mirror what exists',
      ],
    ]);
    expect(errors[0]?.details).toEqual({
      path: 'airgap.yaml:3:19',
      provider: AWS_KEY,
      version: '5.82.1',
      platform: 'linux_arm64',
      expected: 'linux_arm64',
      actual: 'darwin_arm64, linux_amd64',
    });
  });

  it('says so when no matching version has every platform', () => {
    const r = resolve("providers:\n  hashicorp/aws: ['5.82.1']\n", { [AWS_KEY]: PARTIAL }, [
      'linux_arm64',
      'windows_amd64',
    ]);
    expect(r[0]?.versions[0]?.missingPlatforms).toEqual(['linux_arm64', 'windows_amd64']);
    expect(r[0]?.versions[0]?.newestWithEveryPlatform).toBeUndefined();
    expect(platformGapErrors('airgap.yaml', r)[0]?.message).toBe(
      `airgap.yaml:3:19: ${AWS_KEY} 5.82.1 (matching 5.82.1) has no package for linux_arm64, windows_amd64 in the registry's list (it lists darwin_arm64, linux_amd64); no version matching 5.82.1 has them all`,
    );
  });

  it('takes a version list that names no platforms as saying nothing about them', () => {
    const r = resolve("providers:\n  hashicorp/aws: ['~> 5.0']\n", { [AWS_KEY]: listing(['5.1.0'], []) });
    expect(r[0]?.versions[0]?.missingPlatforms).toEqual([]);
    expect(platformGapErrors('airgap.yaml', r)).toEqual([]);
  });
});

describe('meetsVersionConstraints: go-versions MeetingConstraints', () => {
  function meets(version: string, constraints: string): boolean {
    const v = scanVersion(version);
    const c = scanVersionConstraints(constraints);
    expect(v.error).toBeUndefined();
    expect(c.error).toBeUndefined();
    return meetsVersionConstraints(v.value, c.value);
  }

  it('"~> X.Y" lets the minor grow, "~> X.Y.Z" only the patch, "~> X" the minor', () => {
    expect([meets('1.9.9', '~> 1.2'), meets('2.0.0', '~> 1.2'), meets('1.1.9', '~> 1.2')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([meets('1.2.9', '~> 1.2.3'), meets('1.3.0', '~> 1.2.3'), meets('1.2.2', '~> 1.2.3')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([meets('1.9.0', '~> 1'), meets('2.0.0', '~>1')]).toEqual([true, false]);
  });

  it('compares build metadata for "=" and "!=" only', () => {
    expect(meets('1.0.0+abc', '= 1.0.0')).toBe(false);
    expect(meets('1.0.0+abc', '1.0.0+abc')).toBe(true);
    expect(meets('1.0.0+abc', '!= 1.0.0')).toBe(true);
    expect(meets('1.0.0+abc', '>= 1.0.0')).toBe(true);
    expect(meets('1.0.0', '<= 1.0.0+zzz')).toBe(true);
  });

  it('never matches 0.0.0, the version go-versions calls Unspecified', () => {
    expect(meets('0.0.0', '>= 0.0.0')).toBe(false);
    expect(meets('0.0.0', '0.0.0')).toBe(false);
    expect(meets('0.0.1', '>= 0.0.0')).toBe(true);
  });

  it('orders prerelease identifiers as go-versions does, not as SemVer', () => {
    // VersionExtra.LessThan: "beta" has fewer dot-separated parts, so it is the lower.
    expect(meets('1.0.0-beta', '= 1.0.0-beta, > 1.0.0-alpha.1')).toBe(false);
    expect(meets('1.0.0-beta', '= 1.0.0-beta, < 1.0.0-alpha.1')).toBe(true);
    // Digits-only identifiers sort first, by length before text.
    expect(meets('1.0.0-rc.10', '= 1.0.0-rc.10, > 1.0.0-rc.9')).toBe(true);
    expect(meets('1.0.0-rc.a', '= 1.0.0-rc.a, > 1.0.0-rc.9')).toBe(true);
  });

  it('orders the versions chosen with all: true by the same precedence', () => {
    const key = 'registry.opentofu.org/acme/widget';
    const r = resolve(
      "providers:\n  acme/widget:\n    versions: ['= 1.0.0-alpha.1', '= 1.0.0-beta']\n    all: true\n",
      { [key]: listing(['1.0.0-alpha.1', '1.0.0-beta']) },
    );
    expect(r[0]?.versions.map((v) => v.version)).toEqual(['1.0.0-beta', '1.0.0-alpha.1']);
  });
});
