// Loader hooks of register.mjs: the path of every module file loaded, appended as it
// loads (synchronously, so nothing is lost when the process exits right after).
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let out = '';

export function initialize(data) {
  out = data.out;
}

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (url.startsWith('file:')) appendFileSync(out, `${fileURLToPath(url)}\n`);
  return result;
}
