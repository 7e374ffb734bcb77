/**
 * Identity: which user id (if any) a beacon may be filed under. A site can require user ids to
 * be signed by its backend (user_id_sig = hex HMAC-SHA256(identity_secret, user_id)); an
 * unsigned or wrongly signed id is then not trusted: the events stay under the anonymous id and
 * are flagged "unverified". A wrong signature is never trusted, required or not.
 */
import type { IdentityStatus } from "../../schemas";
import { hex } from "../../durable-objects/lib/hash";

export interface IdentityClaim {
  user_id: string | null;
  user_id_sig: string | null;
}
export interface IdentityPolicy {
  required: boolean;
  /** The site's identity_secret, if it has one. */
  secret: string | null;
}
export interface Identity {
  user_id: string | null;
  identity: IdentityStatus;
}

const enc = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    if (keys.size > 64) keys.clear();
    k = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, k);
  }
  return k;
}

/** hex HMAC-SHA256(secret, userId): what a site's backend computes and puts in user_id_sig. */
export async function signUserId(secret: string, userId: string): Promise<string> {
  return hex(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(userId)));
}

/** Constant-time check (crypto.subtle.verify) of a hex signature. */
export async function verifyUserId(secret: string, userId: string, sigHex: string): Promise<boolean> {
  if (!/^[0-9a-fA-F]{64}$/.test(sigHex)) return false;
  const sig = new Uint8Array(32);
  for (let i = 0; i < 32; i++) sig[i] = parseInt(sigHex.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify("HMAC", await hmacKey(secret), sig, enc.encode(userId));
}

export async function resolveIdentity(claim: IdentityClaim, policy: IdentityPolicy): Promise<Identity> {
  if (!claim.user_id) return { user_id: null, identity: "none" };
  if (claim.user_id_sig && policy.secret) {
    return (await verifyUserId(policy.secret, claim.user_id, claim.user_id_sig)) ? { user_id: claim.user_id, identity: "verified" } : { user_id: null, identity: "unverified" };
  }
  // A signature we cannot check (no secret configured) proves nothing: same as unsigned.
  if (policy.required) return { user_id: null, identity: "unverified" };
  return { user_id: claim.user_id, identity: "asserted" };
}
