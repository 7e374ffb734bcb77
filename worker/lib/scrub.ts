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

export function redactEmails(s: string): string {
  return s.replace(EMAIL_ENCODED, "[email]").replace(EMAIL, "[email]");
}

export function scrubUrl(raw: string, extraParams: readonly string[] = []): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return redactEmails(raw);
  }
  const drop = new Set([...SENSITIVE_PARAMS, ...extraParams.map((p) => p.toLowerCase())]);
  for (const name of [...u.searchParams.keys()]) if (drop.has(name.toLowerCase())) u.searchParams.delete(name);
  u.username = "";
  u.password = "";
  // Fragments often carry OAuth tokens (#access_token=...): keep only a plain route-like hash.
  if (u.hash && /[=&]/.test(u.hash)) u.hash = "";
  return redactEmails(u.href).replace(/%5Bemail%5D/gi, "[email]");
}
