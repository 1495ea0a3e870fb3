/**
 * The machine's measured float32 peak: bench/fma-peak.c, compiled with the
 * machine's C compiler, runs once per core, all copies at the same time, and
 * their rates add up. The report shows it beside the peak formula, which
 * assumes two 512-bit FMA units per core at the clock that /proc/cpuinfo
 * reports. A CPU without AVX-512 or with narrower FMA units, or one that
 * boosts its clock, has another peak.
 */

import { execFile, execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Seconds that each copy of the probe runs for. */
const PROBE_SECONDS = 1;

export interface MeasuredPeak {
  /** The vectors the probe used: "avx512" or "avx2". */
  isa: string;
  /** Copies of the probe that ran at once, one per core. */
  copies: number;
  /** The sum of the copies' GFLOP/s. */
  gflops: number;
}

/** The measured peak, or the reason it could not be measured. */
export type PeakProbeResult = MeasuredPeak | { reason: string };

/** Compiles the probe into `folder`, runs `copies` copies of it at once and returns their summed rate. */
export async function measureFmaPeak(folder: string, copies: number): Promise<PeakProbeResult> {
  const source = path.join(path.dirname(fileURLToPath(import.meta.url)), "fma-peak.c");
  const binary = path.join(folder, "fma-peak");
  try {
    execFileSync("cc", ["-O2", "-o", binary, source], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    return { reason: `the probe did not compile (${firstLine(error)})` };
  }
  let outputs: string[];
  try {
    const runs = Array.from({ length: copies }, () => execFileAsync(binary, [String(PROBE_SECONDS)]));
    outputs = (await Promise.all(runs)).map((result) => result.stdout);
  } catch (error) {
    return { reason: `the probe failed (${firstLine(error)})` };
  }
  let isa = "";
  let gflops = 0;
  for (const output of outputs) {
    const [name, rate] = output.trim().split(" ");
    if (name === "none") return { reason: "the CPU has neither AVX-512 nor AVX2 with FMA, or is not x86-64" };
    isa = name ?? "";
    gflops += Number(rate);
  }
  if (!Number.isFinite(gflops) || gflops <= 0) return { reason: `the probe printed ${JSON.stringify(outputs.join(""))}` };
  return { isa, copies, gflops };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.trim();
}
