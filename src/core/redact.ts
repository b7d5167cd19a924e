// Secrets never reach a message, a log line or --json: this module is the one place
// that knows what a secret in a URL looks like. Userinfo (user:password@) and the
// values of query parameters that carry signatures or tokens (presigned S3 / GCS /
// Azure URLs, OAuth-style tokens) are replaced; the rest of the URL stays, so the
// message still says where.

export const REDACTED = 'REDACTED';

/** Query parameter names (lower case) whose values are secrets. */
const SECRET_PARAMS = new Set([
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'x-goog-security-token',
  'signature',
  'sig',
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'client_secret',
  'password',
  'passwd',
  'secret',
  'api_key',
  'apikey',
  'key',
  'code',
]);

// Names that end like a secret (private_token, X-Api-Key, session_token, sas_signature):
// redacting a harmless parameter costs a little detail, missing a secret costs the secret.
const SECRET_SUFFIX = /(?:token|secret|signature|password|passwd|credential|credentials|api[-_]?key)$/i;

/** True for a query parameter whose value must not be shown. */
export function isSecretParam(name: string): boolean {
  return SECRET_PARAMS.has(name.toLowerCase()) || SECRET_SUFFIX.test(name);
}

/** A URL fit for messages: userinfo and secret query values replaced. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactLoose(url);
  }
  let changed = false;
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = '***';
    parsed.password = '';
    changed = true;
  }
  if (parsed.search !== '') {
    const query = redactQuery(parsed.search.slice(1));
    if (query !== parsed.search.slice(1)) {
      parsed.search = query;
      changed = true;
    }
  }
  return changed ? parsed.href : url;
}

/**
 * Every URL inside free text (an error message, a log line) redacted, and secret
 * query parameters outside a full URL too (a relative Location such as
 * `/blob?sig=...`, or `host/path?token=...` written without a scheme).
 */
export function redactText(text: string): string {
  const urls = text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => {
    // Keep punctuation that ends a sentence outside the URL.
    const trail = /[.,;:)\]]+$/.exec(url)?.[0] ?? '';
    const bare = trail === '' ? url : url.slice(0, -trail.length);
    return redactUrl(bare) + trail;
  });
  return urls.replace(
    /([?&])([^=&?#\s"'<>`]+)=([^&#\s"'<>`]*)/g,
    (pair, sep: string, name: string, value: string) => {
      if (!isSecretParam(decodeName(name))) return pair;
      const trail = /[.,;:)\]]+$/.exec(value)?.[0] ?? '';
      return `${sep}${name}=${REDACTED}${trail}`;
    },
  );
}

// Works on the raw query text so that an unchanged parameter keeps its exact encoding.
function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && isSecretParam(decodeName(rawName)) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
}

function decodeName(rawName: string): string {
  try {
    return decodeURIComponent(rawName.replace(/\+/g, ' '));
  } catch {
    return rawName;
  }
}

// For strings the URL parser refuses: still hide userinfo and secret parameters.
function redactLoose(url: string): string {
  const noUser = url.replace(/\/\/[^/@\s]*@/, '//***@');
  const q = noUser.indexOf('?');
  if (q < 0) return noUser;
  const hash = noUser.indexOf('#', q);
  const end = hash < 0 ? noUser.length : hash;
  return noUser.slice(0, q + 1) + redactQuery(noUser.slice(q + 1, end)) + noUser.slice(end);
}
