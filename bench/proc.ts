/**
 * CPU time of the workerd process behind a Miniflare instance, from Linux's /proc. The
 * statistics on/off runs at a fixed offered rate report it per event (bench/recs.ts): below
 * capacity it measures the work done; at full speed the one busy workerd thread makes it about
 * 1/throughput, so it adds nothing to req/s there. Elsewhere (no /proc) every function returns
 * null and the bench reports req/s alone.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Pids of this process's children (each Miniflare instance starts one workerd). */
export function childPids(): Set<number> | null {
  try {
    const out = new Set<number>();
    for (const task of readdirSync("/proc/self/task")) {
      for (const p of readFileSync(`/proc/self/task/${task}/children`, "utf8").trim().split(/\s+/)) if (p) out.add(Number(p));
    }
    return out;
  } catch {
    return null;
  }
}

/** The one child that appeared between two `childPids()` readings, if exactly one did. */
export function newChild(before: Set<number> | null, after: Set<number> | null): number | null {
  if (!before || !after) return null;
  const fresh = [...after].filter((p) => !before.has(p));
  return fresh.length === 1 ? fresh[0]! : null;
}

/** User + system CPU seconds a process has used (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on every Linux the bench runs on (getconf CLK_TCK); not exposed to Node. */
const ticksPerSecond = () => 100;
