// yauzl (zip reading) and yazl (zip writing), loaded on first use: ~10 ms and ~1.5 MB
// each at start-up, which a run that opens and writes no zip (a mirror or plan whose
// packages are all in the bundle already, help) does not pay. The zip adapters import
// only their types statically.

export type Yauzl = typeof import('yauzl');
export type Yazl = typeof import('yazl');

export async function loadYauzl(): Promise<Yauzl> {
  return (await import('yauzl')).default;
}

export async function loadYazl(): Promise<Yazl> {
  return (await import('yazl')).default;
}
