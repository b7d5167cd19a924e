// The provider names and platforms every bench mode mirrors, exports or deltas: one list,
// so the modes measure the same corpus.

export const BENCH_TYPES = [
  'aws',
  'azurerm',
  'google',
  'kubernetes',
  'helm',
  'random',
  'null',
  'tls',
  'local',
  'vault',
  'cloudflare',
  'github',
];

export const BENCH_PLATFORMS = ['linux_amd64', 'linux_arm64'];
