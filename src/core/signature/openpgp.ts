// openpgp.js, loaded on first use. It costs ~75 ms and ~8 MB to load, which a run that
// reads no key and checks or makes no signature (help, plan, a warm mirror) should not
// pay, so modules import only its types statically and call loadOpenpgp() in the async
// function that needs it. verify.ts, whose policy code uses openpgp's classes and enums
// throughout, imports it statically and is itself loaded on first use, by ./index.ts.
// test/integration/startup-modules.test.ts pins which commands load it.

export type OpenPgp = typeof import('openpgp');

export function loadOpenpgp(): Promise<OpenPgp> {
  return import('openpgp');
}
