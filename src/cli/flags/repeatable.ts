// How a repeatable flag parses. oclif's plain `multiple` flags are greedy: in
// `airgap verify --trusted-key k.asc bundle.tar` the bundle would become a second key.
// Non-greedy, each flag takes one value, so flags and arguments go in any order, as in
// gpg and skopeo. Spread one of these into the flag's options.

/** A list flag: repeat it, or give a comma list (`--platform linux_amd64,linux_arm64`). */
export const LIST = { multiple: true, multipleNonGreedy: true, delimiter: ',' } as const;

/**
 * Repeat it, one value each time: for values that may hold a comma themselves (a version
 * constraint such as ">= 1.8, < 1.9", a path), which a comma list would cut in two.
 */
export const REPEATABLE = { multiple: true, multipleNonGreedy: true } as const;

/**
 * The help text's `[default: a,b]` for a list flag whose real default is decided later (the
 * spec may set it). A constant: `--help` shows the text oclif.manifest.json recorded and does
 * not load the command to ask again (AirgapHelp in ../help.ts).
 */
export function listDefaultHelp(values: readonly string[]): () => Promise<string> {
  return async () => values.join(',');
}
