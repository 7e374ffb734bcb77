/** Hex and SHA-256 helpers shared by the worker and the objects (Web Crypto, plus workerd's sync node:crypto). */
import { createHash } from "node:crypto";

const enc = new TextEncoder();

/** Lower-case hex of bytes. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}

/** SHA-256 of a UTF-8 string (Web Crypto, async). */
export function sha256(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", enc.encode(s));
}

/** Hex SHA-256 of a UTF-8 string, cut to `chars` characters (async). */
export async function sha256Hex(s: string, chars = 64): Promise<string> {
  return hex(await sha256(s)).slice(0, chars);
}

/** The same, synchronously (workerd's node:crypto under nodejs_compat): for code inside a SQLite transaction. */
export function sha256HexSync(s: string, chars = 64): string {
  return createHash("sha256").update(s).digest("hex").slice(0, chars);
}
