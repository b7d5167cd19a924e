import { Args, Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { s3Access, s3ReadFlags } from '../cli/flags/s3-flags.js';
import { EXIT_CODES_HELP } from '../cli/exit-codes.js';
import { checkParents, parentsFlag } from '../cli/flags/parents.js';
import { LIST } from '../cli/flags/repeatable.js';
import { runImport, type ImportResult, type RegistryAccess } from '../services/import/import-service.js';
import { readVerifiedBundle } from '../services/transfer/bundle-reader.js';

/** The registry flags need a push: --push, --push-providers, --push-modules (one set of credentials for all). */
const PUSHING = { type: 'some' as const, flags: ['push', 'push-providers', 'push-modules'] };

export default class Import extends AirgapCommand {
  static override summary = 'Verify a transfer bundle and install it into a directory on the isolated host.';

  static override description = `Checks the SHA256SUMS signature (--trusted-key), then every file's sha256 while streaming it once into a staging directory inside DIR, refusing unsafe or unlisted entries before anything is placed. Then merges the providers into DIR/providers (what earlier imports brought is kept), unpacks the host platform's tofu/terraform to DIR/bin, writes DIR/tofurc (use it as TF_CLI_CONFIG_FILE) and records the import in DIR/airgap-state.json, keeps the runner image (airgap mirror --image) at DIR/image, and makes it all live with one atomic switch: a failure or a crash leaves DIR as it was. Re-importing the live bundle changes nothing; a bundle older than one already imported is refused unless --allow-downgrade. DIR must be new, empty or made by airgap import (--force imports beside other files, never touching them); one import at a time: while another runs in DIR, this one exits 4. Layout and state: docs/IMPORT-STATE.md.

${EXIT_CODES_HELP}`;

  static override examples = [
    '<%= config.bin %> import airgap-bundle.tar --dest /opt/airgap --trusted-key bundle-signer.asc',
    '<%= config.bin %> import /media/dvd/bundle.tar.000 --dest /opt/airgap --trusted-key bundle-signer.asc',
    '<%= config.bin %> import s3://transfer-bucket/bundles/2026-02.tar --dest /opt/airgap --trusted-key bundle-signer.asc',
    'cat pw | <%= config.bin %> import bundle.tar --dest /opt/airgap --trusted-key signer.asc --push-providers registry.corp.example/tofu-providers --registry-username ci --registry-password-stdin',
    '<%= config.bin %> import bundle.tar --dest /opt/airgap --trusted-key signer.asc --push registry.corp.example/ci/runner:2026-02',
    '<%= config.bin %> import bundle.tar --dest /opt/airgap --trusted-key signer.asc --push-modules registry.corp.example/tofu-modules',
  ];

  static override args = {
    source: Args.string({
      description:
        'Transfer tarball (plain or gzip), its first split part FILE.000, or a bundle directory; or s3://BUCKET/KEY (KEY.000 when split).',
      required: true,
    }),
  };

  static override flags = {
    dest: Flags.string({
      summary: 'Import destination directory (created when missing; its parent must exist, or --parents).',
      required: true,
      helpGroup: 'DESTINATION',
    }),
    'trusted-key': Flags.string({
      summary:
        'Public key (armored or binary) whose signature on SHA256SUMS is accepted (repeatable, or a comma list).',
      ...LIST,
      helpGroup: 'SIGNATURES',
    }),
    'insecure-skip-signature': Flags.boolean({
      summary: 'Accept a bundle whose signature is missing or not checked (prints a warning).',
      default: false,
      helpGroup: 'SIGNATURES',
    }),
    'allow-downgrade': Flags.boolean({
      summary: 'Accept a bundle created before the newest one already imported (a deliberate rollback).',
      default: false,
      helpGroup: 'DESTINATION',
    }),
    force: Flags.boolean({
      summary:
        'Import into a DIR that already holds other files; they are left exactly as they are, and the import is added beside them.',
      default: false,
      helpGroup: 'DESTINATION',
    }),
    parents: parentsFlag('--dest', 'DESTINATION'),
    platform: Flags.string({
      summary: 'OS_ARCH whose tofu/terraform to install in DIR/bin; default: this host.',
      helpGroup: 'DESTINATION',
    }),
    'push-providers': Flags.string({
      summary:
        'Then push every provider in DIR/providers to REGISTRY/PREFIX/HOST/NS/TYPE:VERSION for OpenTofu >= 1.10 oci_mirror, and write DIR/tofurc.oci.',
      helpValue: 'REGISTRY/PREFIX',
      helpGroup: 'PUSH',
    }),
    'push-modules': Flags.string({
      summary:
        'Then push every registry module in DIR/modules to REGISTRY/PREFIX/HOST/NS/NAME/SYSTEM:VERSION as an OpenTofu module package, for oci:// module sources.',
      helpValue: 'REGISTRY/PREFIX',
      helpGroup: 'PUSH',
    }),
    push: Flags.string({
      summary:
        'Then push the runner image in DIR/image (a bundle made with mirror --image) to REGISTRY/REPO:TAG; the tag is written last.',
      helpValue: 'REGISTRY/REPO:TAG',
      helpGroup: 'PUSH',
    }),
    'push-mount-from': Flags.string({
      summary:
        'With --push: a repository of the same registry holding the base image (e.g. mirrored there before); its layers are mounted instead of uploaded.',
      helpValue: 'REPO',
      dependsOn: ['push'],
      helpGroup: 'PUSH',
    }),
    'registry-insecure': Flags.boolean({
      summary: 'Reach the registry over plain HTTP, anonymously: credentials are never sent over plain HTTP.',
      relationships: [PUSHING],
      helpGroup: 'REGISTRY ACCESS',
    }),
    'registry-username': Flags.string({
      summary: 'Registry user (with --registry-password-stdin); default: docker config logins.',
      dependsOn: ['registry-password-stdin'],
      relationships: [PUSHING],
      helpGroup: 'REGISTRY ACCESS',
    }),
    'registry-password-stdin': Flags.boolean({
      summary: 'Read the registry password (or token) from standard input.',
      dependsOn: ['registry-username'],
      relationships: [PUSHING],
      helpGroup: 'REGISTRY ACCESS',
    }),
    'ca-cert': Flags.string({
      summary:
        "Extra CA certificate (PEM) to trust for the registry's or an https --s3-endpoint's TLS (repeatable, or a comma list).",
      ...LIST,
      helpGroup: 'REGISTRY ACCESS',
    }),
    ...s3ReadFlags,
  };

  async run(): Promise<ImportResult> {
    const { args, flags } = await this.parse(Import);
    await checkParents([{ from: '--dest', path: flags.dest }], process.cwd(), flags.parents);
    const reporter = this.createReporter(flags);
    const pushing =
      flags.push !== undefined ||
      flags['push-providers'] !== undefined ||
      flags['push-modules'] !== undefined;
    const access = pushing ? await registryAccess(flags) : undefined;
    try {
      const result = await runImport(
        {
          source: args.source,
          s3: s3Access(flags, process.env, flags['ca-cert'] ?? []),
          dest: flags.dest,
          trustedKeyFiles: flags['trusted-key'] ?? [],
          insecureSkipSignature: flags['insecure-skip-signature'],
          allowDowngrade: flags['allow-downgrade'],
          force: flags.force,
          ...(flags.platform === undefined ? {} : { platform: flags.platform }),
          ...(flags['push-providers'] === undefined || access === undefined
            ? {}
            : { pushProviders: { ...access, target: flags['push-providers'] } }),
          ...(flags['push-modules'] === undefined || access === undefined
            ? {}
            : { pushModules: { ...access, target: flags['push-modules'] } }),
          ...(flags.push === undefined || access === undefined
            ? {}
            : {
                pushImage: {
                  ...access,
                  target: flags.push,
                  ...(flags['push-mount-from'] === undefined ? {} : { mountFrom: flags['push-mount-from'] }),
                },
              }),
          httpObserver: reporter,
          host: {
            cwd: process.cwd(),
            env: process.env,
            platform: process.platform,
            arch: process.arch,
            pid: process.pid,
          },
        },
        reporter,
        { readBundle: readVerifiedBundle },
      );
      reporter.finish();
      const id = `${result.bundleDigest.slice(0, 16)} (created ${result.createdAt})`;
      if (result.action === 'unchanged') {
        this.log(`${result.dest} already holds bundle ${id}; nothing changed.`);
        this.logPush(result);
        return result;
      }
      this.log(
        `Imported bundle ${id} into ${result.dest} as generation ${result.generation}: ` +
          `${result.providers.length} provider version(s), ${result.providerFiles.added} file(s) added, ${result.providerFiles.kept} kept.`,
      );
      for (const b of result.binaries) this.detail(`Installed ${b.tool} ${b.version} at ${b.path}.`);
      this.detail(`Use it with: export TF_CLI_CONFIG_FILE=${result.tofurc}`);
      this.logPush(result);
      return result;
    } catch (e) {
      reporter.finish();
      throw e;
    }
  }

  private logPush(result: ImportResult): void {
    if (result.push !== undefined) {
      const pushed = result.push.versions.filter((v) => v.action === 'pushed').length;
      this.detail(
        `Pushed ${pushed} provider version(s) to ${result.push.registry} (${result.push.versions.length - pushed} up to date). ` +
          `For tofu's oci_mirror: export TF_CLI_CONFIG_FILE=${result.push.tofurc}`,
      );
      for (const w of result.push.warnings) this.detail(`Warning for tofu: ${w}`);
    }
    const modules = result.pushModules;
    if (modules !== undefined) {
      const pushed = modules.modules.filter((m) => m.action === 'pushed').length;
      this.detail(
        `Pushed ${pushed} module version(s) to ${modules.registry} (${modules.modules.length - pushed} up to date). For tofu, as module sources:`,
      );
      for (const m of modules.modules) this.detail(`  ${m.source} ${m.version}: ${m.ociSource}`);
      for (const w of modules.warnings) this.detail(`Warning for tofu: ${w}`);
    }
    const image = result.image;
    if (image === undefined) return;
    const platforms = image.platforms.map((p) => p.platform).join(', ');
    this.detail(
      image.action === 'unchanged'
        ? `${image.target} already names the runner image ${image.digest} (${platforms}); nothing sent.`
        : `Pushed the runner image to ${image.target}: ${image.digest} (${platforms}; ` +
            `${image.blobs.uploaded} blob(s) uploaded, ${image.blobs.existing + image.blobs.mounted} already there).`,
    );
  }
}

async function registryAccess(flags: {
  'registry-insecure'?: boolean;
  'registry-username'?: string;
  'registry-password-stdin'?: boolean;
  'ca-cert'?: string[];
}): Promise<RegistryAccess> {
  const username = flags['registry-username'];
  return {
    insecure: flags['registry-insecure'] ?? false,
    caCertFiles: flags['ca-cert'] ?? [],
    ...(username === undefined ? {} : { username }),
    ...(flags['registry-password-stdin'] ? { password: await readPasswordFromStdin() } : {}),
  };
}

/** The whole of stdin, less one trailing newline (what `echo $TOKEN |` adds). */
async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
