/** This thread's CPU time (vitest runs a bench file in a worker thread; other threads are not ours). Node only. */
export const threadCpu = (prev?: NodeJS.CpuUsage): NodeJS.CpuUsage => {
  const p = process as unknown as { threadCpuUsage?: (prev?: NodeJS.CpuUsage) => NodeJS.CpuUsage };
  return p.threadCpuUsage ? p.threadCpuUsage(prev) : process.cpuUsage(prev);
};
