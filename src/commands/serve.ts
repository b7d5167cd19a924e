import os from 'node:os';
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { AirgapCommand } from '../cli/base-command.js';
import { insecureSkipSignatureFlag, trustedKeyFlag } from '../cli/flags/signature-flags.js';
import { AirgapError } from '../core/errors.js';
import { SERVE_FILES } from '../core/layout/names.js';
import { DEFAULT_LISTEN, parseListen } from '../core/serve/listen.js';
import { startServe } from '../services/serve/serve-service.js';

export default class Serve extends AirgapCommand {
  // A server runs until stopped: its output is the lines it prints as it starts, not a result.
  static override enableJsonFlag = false;

  static override summary =
    'Serve a bundle directory or an import destination over HTTPS: registry modules and the provider network mirror.';

  static override description = `DIR is a bundle directory (airgap.json at its top), verified before anything listens as airgap verify checks it (the SHA256SUMS signature against --trusted-key, then every file against SHA256SUMS and airgap.json; --insecure-skip-signature skips only the signature), or an import destination (verified by airgap import), whose live generation is served: after airgap import switches generations, new requests see the new content, and a request in flight finishes on the files it opened. Serves /.well-known/terraform.json (modules.v1), the Module Registry Protocol at /v1/modules/HOST/NS/NAME/SYSTEM/... for every carried module under its original registry host (download answers 204 with X-Terraform-Get to the zip on this server), and the provider network mirror at /providers/. Read-only; only the files airgap.json (or the import state and mirror JSON) list are served: no listings, no path outside DIR, no symlink out. HEAD, Range and ETag (the sha256). Writes the CLI configuration runners need (host blocks pointing each original module host's modules.v1 here, and a network_mirror for providers) to --out/${SERVE_FILES.cliConfig} and prints it. Serves from --workers processes sharing the port (default one per available core): verification and the CLI configuration happen once, before any worker starts, and this process prints every log line. One log line per request on stderr (--quiet: none). SIGTERM or Ctrl-C: every worker stops accepting, finishes the requests in flight, exits 0. Details: docs/SERVE.md.

EXIT CODES
  0  stopped by SIGTERM or Ctrl-C after finishing the requests in flight
  1  the bundle directory failed verification (nothing was served)
  2  usage or input error (flags, DIR, no --trusted-key, certificate files, address in use)
  4  local filesystem error
  5  internal error (a bug in airgap: please report it)`;

  static override examples = [
    '<%= config.bin %> serve /opt/airgap --self-signed',
    '<%= config.bin %> serve ./bundle --trusted-key signer.asc --listen 127.0.0.1:0 --self-signed --out /tmp/serve',
    '<%= config.bin %> serve /opt/airgap --listen 0.0.0.0:443 --url https://tf-mirror.corp.example --tls-cert cert.pem --tls-key key.pem',
  ];

  static override args = {
    dir: Args.string({ description: 'Bundle directory, or import destination.', required: true }),
  };

  static override flags = {
    listen: Flags.string({
      summary: `ADDR:PORT to listen on (port 0: any free port).`,
      default: DEFAULT_LISTEN,
      helpGroup: 'SERVER',
    }),
    url: Flags.string({
      summary: 'Base URL runners reach this server at (https://HOST[:PORT]); default from --listen.',
      helpGroup: 'SERVER',
    }),
    'tls-cert': Flags.string({
      summary: 'PEM certificate (chain) to serve.',
      dependsOn: ['tls-key'],
      exclusive: ['self-signed'],
      helpGroup: 'SERVER',
    }),
    'tls-key': Flags.string({
      summary: 'PEM private key of --tls-cert.',
      dependsOn: ['tls-cert'],
      helpGroup: 'SERVER',
    }),
    workers: Flags.integer({
      summary:
        'Processes that serve, sharing the port (default: one per available core; 1: no worker processes).',
      min: 1,
      max: 64,
      helpGroup: 'SERVER',
    }),
    'self-signed': Flags.boolean({
      summary: `Make a CA and a certificate for the server's name (kept in --out, reused while valid); prints the CA file for SSL_CERT_FILE.`,
      default: false,
      helpGroup: 'SERVER',
    }),
    'trusted-key': trustedKeyFlag,
    'insecure-skip-signature': insecureSkipSignatureFlag,
    out: Flags.string({
      summary: `Directory for ${SERVE_FILES.cliConfig} (and the --self-signed files).`,
      default: '.',
      helpGroup: 'OUTPUT',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Serve);
    const reporter = this.createReporter(flags);
    if (flags['tls-cert'] === undefined && !flags['self-signed']) {
      throw new AirgapError(
        'USAGE',
        'serve needs a certificate: --tls-cert and --tls-key, or --self-signed',
        { expected: '--tls-cert FILE --tls-key FILE, or --self-signed', actual: 'neither' },
        'pass --self-signed for a quick trial (it prints the CA file runners trust), or your own certificate',
      );
    }
    const handle = await startServe(
      {
        dir: path.resolve(args.dir),
        listen: parseListen(flags.listen),
        ...(flags.url === undefined ? {} : { url: flags.url }),
        tls:
          flags['tls-cert'] !== undefined && flags['tls-key'] !== undefined
            ? { certFile: flags['tls-cert'], keyFile: flags['tls-key'] }
            : { selfSigned: true },
        outDir: path.resolve(flags.out),
        now: new Date(),
        logRequests: !flags.quiet,
        workers: flags.workers ?? os.availableParallelism(),
        verify: {
          trustedKeyFiles: flags['trusted-key'] ?? [],
          insecureSkipSignature: flags['insecure-skip-signature'],
          tempDir: os.tmpdir(),
        },
      },
      reporter,
    );
    const stopped = new Promise<NodeJS.Signals>((resolve) => this.handleSignals(resolve));
    if (handle.verified !== undefined) this.log(handle.verified);
    this.log(
      `Serving ${args.dir} (${handle.kind === 'bundle' ? 'bundle directory' : 'live import generation'}) at ${handle.url}/`,
    );
    this.log(`CLI configuration: ${handle.cliConfigPath} (TF_CLI_CONFIG_FILE)`);
    if (handle.caCertPath !== undefined) this.log(`CA certificate: ${handle.caCertPath} (SSL_CERT_FILE)`);
    this.log(
      `Worker processes: ${handle.workers > 1 ? handle.workers : 'none (--workers 1: this process serves)'}`,
    );
    this.detail(`\n${handle.cliConfig}`);
    const signal = await stopped;
    // Told once every process has stopped accepting: from here on a new connection is refused.
    await handle.close(() => reporter.info(`${signal}: finishing the requests in flight`));
    reporter.finish();
    this.log('Stopped.');
  }
}
