/** Runs one load phase in a separate Node process (bench/load.ts) and returns its summary. */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadPhase, LoadResult } from "./load";

const LOAD_SCRIPT = fileURLToPath(new URL("./load.mjs", import.meta.url));

export function runLoad(phase: LoadPhase): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD_SCRIPT, [JSON.stringify(phase)], { execPath: process.execPath, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result: LoadResult | undefined;
    child.on("message", (m) => (result = m as LoadResult));
    child.on("error", reject);
    child.on("exit", (code) => (result && code === 0 ? resolve(result) : reject(new Error(`load generator exited with ${code}`))));
  });
}
