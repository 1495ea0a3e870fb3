/**
 * CPU time that other processes and the hypervisor took from the machine
 * while the benchmark ran, read from Linux's /proc. Other engineers' builds
 * and tests, or other virtual machines on the same host, slow every
 * framework, so the report states how much of the machine they used.
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** Counters at one moment, in CPU-seconds summed over all cores. */
export interface CpuSample {
  wallSeconds: number;
  /** Time all cores spent on any process (user, nice, system, irq, softirq). */
  busySeconds: number;
  /** Time the hypervisor ran something else while this machine's cores were ready to run. */
  stealSeconds: number;
  /** CPU time of the benchmark's own processes (driver and live workers). */
  benchmarkSeconds: number;
}

/** Share of the machine's capacity, from 0 to 1, over the interval between two samples. */
export interface LoadShares {
  /** CPU time of processes other than the benchmark's. */
  others: number;
  steal: number;
}

let ticksPerSecond: number | null = null;

/** Returns the kernel's clock ticks per second (USER_HZ) that /proc counts in, 100 where getconf is missing. */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Returns the user and system CPU seconds of process `pid`, or 0 once it has exited. */
function processCpuSeconds(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
  } catch {
    return 0;
  }
}

/**
 * Reads the machine's and the benchmark's CPU counters, or returns null
 * where /proc/stat cannot be read (any system but Linux).
 */
export function sampleCpu(workerPids: readonly number[]): CpuSample | null {
  let line: string;
  try {
    line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  } catch {
    return null;
  }
  // cpu user nice system idle iowait irq softirq steal ...
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  const hz = clockTicksPerSecond();
  const driverUsage = process.cpuUsage();
  const driverSeconds = (driverUsage.user + driverUsage.system) / 1e6;
  return {
    wallSeconds: performance.now() / 1000,
    busySeconds: (user + nice + system + irq + softirq) / hz,
    stealSeconds: steal / hz,
    benchmarkSeconds: driverSeconds + workerPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
  };
}

/** Returns the shares of the machine that other processes and the hypervisor took between two samples. */
export function loadBetween(start: CpuSample, end: CpuSample): LoadShares {
  const capacity = Math.max((end.wallSeconds - start.wallSeconds) * os.availableParallelism(), 1e-9);
  const others = end.busySeconds - start.busySeconds - (end.benchmarkSeconds - start.benchmarkSeconds);
  return { others: Math.max(0, others) / capacity, steal: (end.stealSeconds - start.stealSeconds) / capacity };
}

/** Formats load shares as percentages of the machine's capacity. */
export function formatLoad(shares: LoadShares): string {
  return `other processes ${(shares.others * 100).toFixed(1)}%, steal ${(shares.steal * 100).toFixed(1)}%`;
}
