/**
 * PII scrubbing for URLs and free text before anything is stored: e-mail addresses become
 * "[email]", and query parameters that carry credentials or personal data are removed
 * (the built-in list plus each site's `scrub_params`).
 */

export const SENSITIVE_PARAMS = [
  "token", "access_token", "id_token", "refresh_token", "auth", "authorization", "password", "passwd", "pwd", "pass",
  "secret", "client_secret", "api_key", "apikey", "key", "session", "sessionid", "session_id", "sid", "code", "otp",
  "signature", "sig", "email", "e-mail", "mail", "phone", "tel", "ssn", "jwt",
];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const EMAIL_ENCODED = /[A-Za-z0-9._%+-]+(?:%40|@)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/gi;
const SENSITIVE = new Set(SENSITIVE_PARAMS);

/** Text without "@" or "%40" holds no address: the regexes run only on text that may. */
export function redactEmails(s: string): string {
  if (!s.includes("@") && !s.includes("%40")) return s;
  return s.replace(EMAIL_ENCODED, "[email]").replace(EMAIL, "[email]");
}

/** A site's extra parameter names, lower-cased, as a set: built once per list (a site's list is one array per isolate). */
const extraSets = new WeakMap<readonly string[], Set<string>>();
function extraSet(params: readonly string[]): Set<string> {
  let set = extraSets.get(params);
  if (!set) extraSets.set(params, (set = new Set(params.map((p) => p.toLowerCase()))));
  return set;
}

/** Removes sensitive parameters, user info and token-bearing fragments in place; true when the URL changed. */
export function scrubParsed(u: URL, extraParams: readonly string[] = []): boolean {
  let changed = false;
  if (u.search) {
    const extra = extraParams.length ? extraSet(extraParams) : null;
    for (const name of [...u.searchParams.keys()]) {
      const k = name.toLowerCase();
      if (SENSITIVE.has(k) || extra?.has(k)) {
        u.searchParams.delete(name);
        changed = true;
      }
    }
  }
  if (u.username || u.password) {
    u.username = "";
    u.password = "";
    changed = true;
  }
  // Fragments often carry OAuth tokens (#access_token=...): keep only a plain route-like hash.
  if (u.hash && /[=&]/.test(u.hash)) {
    u.hash = "";
    changed = true;
  }
  return changed;
}

/** A scrubbed URL's text: e-mail addresses redacted, also where the URL encoded them. */
export function scrubbedHref(u: URL): string {
  const out = redactEmails(u.href);
  return out.includes("%5B") || out.includes("%5b") ? out.replace(/%5Bemail%5D/gi, "[email]") : out;
}

export function scrubUrl(raw: string, extraParams: readonly string[] = []): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return redactEmails(raw);
  }
  scrubParsed(u, extraParams);
  return scrubbedHref(u);
}
