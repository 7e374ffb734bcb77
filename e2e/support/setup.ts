/** Global setup of the e2e project (vitest.config.ts): find or unpack Chromium once, before the test files run in parallel. */
import { findChromium } from "./browser";

export default async function setup() {
  const { executablePath, source } = await findChromium();
  if (source !== "system") console.log(`e2e: Chromium from ${source}: ${executablePath}`);
}
