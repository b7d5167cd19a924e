import { Args, Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { runInventory } from '../services/inventory/inventory-service.js';

export default class Inventory extends AirgapCommand {
  static override summary =
    "List an import destination's files (sha256) and the bundles imported: a base for `airgap export --base`.";

  static override description = `Prints, on standard output, the inventory of DIR (docs/INVENTORY-FORMAT.md): every file of its live generation with its size and sha256 (hashed now, not taken from a record), the bundle that generation came from with its complete file list, and every import into DIR. Carried back to the connected side, \`airgap export BUNDLE --base inventory.json\` packs a delta of only what DIR lacks; \`airgap import\` of that delta into DIR then finds its base. With --sign-key the inventory is wrapped in a signed envelope (an OpenPGP detached signature over its exact bytes, as SHA256SUMS.sig is over SHA256SUMS), which \`export --base\` checks against --trusted-key. The output is deterministic: the same DIR gives the same bytes (signed, with SOURCE_DATE_EPOCH set). DIR is only read. The passphrase of an encrypted --sign-key is read from AIRGAP_SIGN_PASSPHRASE.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> inventory /opt/airgap > inventory.json',
    '<%= config.bin %> inventory /opt/airgap --sign-key isolated-side.key > inventory.json',
  ];

  // The document is the output; there is no other result to print as JSON.
  static override enableJsonFlag = false;

  static override args = {
    dir: Args.string({
      description: 'The import destination (the --dest DIR of airgap import).',
      required: true,
    }),
  };

  static override flags = {
    'sign-key': Flags.string({
      summary: 'Armored OpenPGP private key that signs the inventory (passphrase: AIRGAP_SIGN_PASSPHRASE).',
      helpGroup: 'SIGNATURES',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Inventory);
    const reporter = this.createReporter(flags);
    const passphrase = process.env.AIRGAP_SIGN_PASSPHRASE;
    const out = await runInventory(
      {
        dest: args.dir,
        cwd: process.cwd(),
        env: process.env,
        ...(flags['sign-key'] === undefined ? {} : { signKeyFile: flags['sign-key'] }),
        ...(passphrase === undefined ? {} : { passphrase }),
      },
      reporter,
    );
    reporter.finish();
    process.stdout.write(out.text);
  }
}
