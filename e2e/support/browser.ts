/**
 * Headless Chromium through playwright-core, with the flags this sandbox needs. Which binary:
 * CHROMIUM_PATH if set, else Debian's /usr/bin/chromium if installed, else the headless build
 * shipped inside the npm package @sparticuz/chromium (a devDependency), so that a machine with
 * only Node runs the browser tests too.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const SYSTEM_CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

export interface ChromiumBinary {
  executablePath: string;
  /** Where it came from, for messages. */
  source: "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";
  /** Environment of the browser process (the packaged build brings its own libraries and fonts). */
  env?: Record<string, string | undefined>;
}

/**
 * The Chromium to launch. The packaged one is unpacked into the temporary directory on first
 * use (a few seconds; later calls find it there): e2e/support/setup.ts does that once before
 * the test files start, so that files running in parallel never unpack it at the same time.
 */
export async function findChromium(): Promise<ChromiumBinary> {
  if (process.env.CHROMIUM_PATH) return { executablePath: process.env.CHROMIUM_PATH, source: "CHROMIUM_PATH" };
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, source: "system" };
  const { default: packaged, inflate } = await import("@sparticuz/chromium");
  const bin = join(dirname(createRequire(import.meta.url).resolve("@sparticuz/chromium")), "..", "bin");
  // chromium, its fonts and SwiftShader; plus the NSS, NSPR and expat libraries it links to
  // (shipped for Amazon Linux, used here too so that no system package is needed).
  const [executablePath, libs] = await Promise.all([packaged.executablePath(bin), inflate(join(bin, "al2023.tar.br"))]);
  const ld = [join(libs, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  return { executablePath, source: "@sparticuz/chromium", env: { ...process.env, LD_LIBRARY_PATH: ld, FONTCONFIG_PATH: join(tmpdir(), "fonts") } };
}

/** `extraArgs`: more Chromium switches, e.g. --host-resolver-rules to keep a page off the internet. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const { executablePath, env } = await findChromium();
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], ...(env ? { env } : {}) });
}
