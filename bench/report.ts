/**
 * Statistics, machine description and the Markdown report of the benchmark
 * driver: throughput and latency, test accuracy, ratios to Stratum native,
 * matrix-multiply rates against the machine's peak, peak memory and targets.
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import type { PeakProbeResult } from "./fma-peak.js";
import type { LoadShares } from "./load.js";
import {
  FRAMEWORK_LABELS,
  GEMM_SHAPES,
  MAIN_JOB_WORKLOAD_IDS,
  MNIST_TEST_DIGITS,
  PEER_FRAMEWORKS,
  REFERENCE_FRAMEWORK,
  type FrameworkId,
  type Workload,
} from "./workloads.js";

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("Cannot summarize an empty list of measurements.");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Results of one framework on one workload. */
export interface FrameworkResult {
  /** Samples/s per timed pass, or µs per call for "predict-one". */
  values: number[];
  /** Samples per call, predict calls per pass and timed passes that this framework ran. */
  samples: number;
  calls: number | undefined;
  repeats: number;
  /** Warm-up passes that ran before the timed ones. */
  warmupPasses: number;
  /** Test accuracy after the warm-up and timed epochs, for workloads that measure it. */
  accuracy?: number;
}

export interface WorkloadResults {
  workload: Workload;
  byFramework: Map<FrameworkId, FrameworkResult>;
  /** Shares of the machine that other processes and the hypervisor took during the workload, or null off Linux. */
  load: LoadShares | null;
}

/** Floating-point peak of the machine as the report computes it. */
export interface MachinePeak {
  cores: number;
  clockGhz: number;
  /** Source of the clock value, for the report. */
  clockSource: string;
  flopsPerCycle: number;
  gflops: number;
}

export interface RunResults {
  command: string;
  /** Frameworks whose worker started, in column order. */
  frameworks: FrameworkId[];
  descriptions: Map<FrameworkId, string>;
  /** Frameworks that were requested but did not run, with the reason. */
  skipped: Map<FrameworkId, string>;
  /** Failures during the run, one line each. */
  failures: string[];
  workloads: WorkloadResults[];
  /** GFLOP/s per run, keyed by shape id, then framework. */
  gemm: Map<string, Map<FrameworkId, number[]>>;
  peak: MachinePeak;
  /** The peak that bench/fma-peak.c measured, the reason it could not, or null when the matrix-multiply part did not run. */
  measuredPeak: PeakProbeResult | null;
  /** Peak resident memory in bytes when the worker started. */
  rssAtStart: Map<FrameworkId, number>;
  /** Peak resident memory in bytes after each workload, keyed by framework, then workload id. */
  rssAfterWorkload: Map<FrameworkId, Map<string, number>>;
  /** Timed passes per workload for frameworks without an override. */
  repeats: number;
  /** Run settings and machine load, one list item each. */
  settings: string[];
}

/** Measurement kinds where a smaller value is better. */
function isLatency(workload: Workload): boolean {
  return workload.kind === "predict-one";
}

function unitOf(workload: Workload): string {
  return isLatency(workload) ? "µs per call" : "samples/s";
}

function formatNumber(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatSummary(values: readonly number[] | undefined): string {
  if (!values || values.length === 0) return "n/a";
  const { median, min, max } = summarize(values);
  return `${formatNumber(median)} (${formatNumber(min)}–${formatNumber(max)})`;
}

function formatMegabytes(bytes: number | undefined): string {
  return bytes === undefined ? "n/a" : (bytes / 1e6).toFixed(0);
}

/** Lays out rows as a Markdown table whose columns line up in a terminal too. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  const rule = `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

function medianOf(results: WorkloadResults | undefined, framework: FrameworkId): number | null {
  const values = results?.byFramework.get(framework)?.values;
  return values && values.length > 0 ? summarize(values).median : null;
}

/**
 * Returns how many times faster Stratum native is than `peer` on a workload:
 * native throughput ÷ peer throughput, or peer latency ÷ native latency.
 */
function speedupOverPeer(results: WorkloadResults, peer: FrameworkId): number | null {
  const native = medianOf(results, REFERENCE_FRAMEWORK);
  const other = medianOf(results, peer);
  if (native === null || other === null) return null;
  return isLatency(results.workload) ? other / native : native / other;
}

/** Describes the size of one pass, as the workload defines it or as a framework ran it. */
function describePass(workload: Workload, pass: { samples: number; calls?: number | undefined }): string {
  if (workload.kind === "predict-one") return `${pass.calls} calls per pass`;
  if (workload.kind === "predict" && (pass.calls ?? 1) > 1) return `${pass.samples} samples per call, ${pass.calls} calls per pass`;
  return `${pass.samples} samples per pass`;
}

function formatThroughputTable(run: RunResults): string[] {
  const header = ["workload", "unit", ...run.frameworks.map((framework) => FRAMEWORK_LABELS[framework]), "other load / steal"];
  const notes: string[] = [];
  const rows = run.workloads.map(({ workload, byFramework, load }) => {
    const cells = run.frameworks.map((framework) => {
      const result = byFramework.get(framework);
      const cell = formatSummary(result?.values);
      if (result && (result.samples !== workload.samples || result.calls !== workload.calls || result.repeats !== run.repeats)) {
        notes.push(`${FRAMEWORK_LABELS[framework]}, ${workload.label}: ${describePass(workload, result)}, ${result.repeats} timed passes.`);
      }
      return cell;
    });
    const loadCell = load ? `${(load.others * 100).toFixed(0)}% / ${(load.steal * 100).toFixed(0)}%` : "n/a";
    return [`${workload.label} (${describePass(workload, workload)})`, unitOf(workload), ...cells, loadCell];
  });
  const lines = [
    "## Training and predict: median (min–max) of the timed passes",
    "",
    "The last column gives the share of the machine's CPU time that processes outside the benchmark used during the workload, " +
      "and the share the hypervisor gave to other virtual machines (steal), from /proc/stat.",
    "",
    markdownTable(header, rows),
  ];
  if (notes.length > 0) lines.push("", "Shorter passes for slow frameworks:", "", ...notes.map((note) => `- ${note}`));
  const notRun = run.workloads.flatMap(({ workload }) =>
    run.frameworks
      .filter((framework) => workload.unsupported?.[framework] !== undefined)
      .map((framework) => `${FRAMEWORK_LABELS[framework]}, ${workload.label}: ${workload.unsupported![framework]}`),
  );
  if (notRun.length > 0) lines.push("", "Not run:", "", ...notRun.map((note) => `- ${note}`));
  return lines;
}

function formatAccuracyTable(run: RunResults): string[] {
  const measured = run.workloads.filter((results) => results.workload.measureAccuracy);
  if (measured.length === 0) return [];
  const header = ["workload", ...run.frameworks.map((framework) => FRAMEWORK_LABELS[framework])];
  const rows = measured.map(({ workload, byFramework }) => [
    workload.label,
    ...run.frameworks.map((framework) => {
      const result = byFramework.get(framework);
      if (result?.accuracy === undefined) return "n/a";
      return `${(result.accuracy * 100).toFixed(1)}% (${result.warmupPasses + result.repeats} epochs)`;
    }),
  ]);
  return [
    `## Test accuracy on the ${MNIST_TEST_DIGITS} held-out digits, after the warm-up and timed epochs`,
    "",
    markdownTable(header, rows),
  ];
}

function formatRatioTable(run: RunResults): string[] {
  const others = run.frameworks.filter((framework) => framework !== REFERENCE_FRAMEWORK);
  if (!run.frameworks.includes(REFERENCE_FRAMEWORK) || others.length === 0) return [];
  const header = ["workload", ...others.map((framework) => FRAMEWORK_LABELS[framework])];
  const rows = run.workloads.map((results) => [
    results.workload.label,
    ...others.map((peer) => {
      const ratio = speedupOverPeer(results, peer);
      return ratio === null ? "n/a" : ratio.toFixed(2);
    }),
  ]);
  return [
    "## Stratum native ÷ peer (above 1: Stratum native is faster)",
    "",
    "Throughput of Stratum native divided by the peer's; for one-sample predict, the peer's time per call divided by Stratum native's. Both use medians.",
    "",
    markdownTable(header, rows),
  ];
}

function formatGemmTable(run: RunResults): string[] {
  if (run.gemm.size === 0) return [];
  const frameworks = run.frameworks.filter((framework) => [...run.gemm.values()].some((byFramework) => byFramework.has(framework)));
  const measured = measuredGflops(run);
  const header = [
    "product",
    "MFLOP",
    ...frameworks.flatMap((framework) => [
      `${FRAMEWORK_LABELS[framework]} GFLOP/s`,
      "% of peak",
      ...(measured !== null ? ["% of measured peak"] : []),
    ]),
  ];
  const rows = GEMM_SHAPES.filter((shape) => run.gemm.has(shape.id)).map((shape) => {
    const byFramework = run.gemm.get(shape.id)!;
    return [
      shape.label,
      formatNumber((2 * shape.m * shape.k * shape.n) / 1e6),
      ...frameworks.flatMap((framework) => {
        const values = byFramework.get(framework);
        const shares = measured !== null ? 3 : 2;
        if (!values?.length) return Array<string>(shares).fill("n/a");
        const median = summarize(values).median;
        return [
          formatSummary(values),
          `${((median / run.peak.gflops) * 100).toFixed(0)}%`,
          ...(measured !== null ? [`${((median / measured) * 100).toFixed(0)}%`] : []),
        ];
      }),
    ];
  });
  const { peak } = run;
  return [
    "## Single-precision matrix multiply: median (min–max) GFLOP/s",
    "",
    `Peak = cores × clock × ${peak.flopsPerCycle} FLOP/cycle = ${peak.cores} × ${peak.clockGhz.toFixed(2)} GHz × ${peak.flopsPerCycle} = ` +
      `${peak.gflops.toFixed(0)} GFLOP/s (clock: ${peak.clockSource}). Each product counts 2·m·k·n operations.`,
    "",
    ...measuredPeakLines(run),
    markdownTable(header, rows),
  ];
}

/** Returns the measured peak in GFLOP/s, or null when it was not measured. */
function measuredGflops(run: RunResults): number | null {
  return run.measuredPeak !== null && "gflops" in run.measuredPeak ? run.measuredPeak.gflops : null;
}

/** Returns the report lines for the measured peak, or the reason it is missing. */
function measuredPeakLines(run: RunResults): string[] {
  const measured = run.measuredPeak;
  if (measured === null) return [];
  if ("reason" in measured) return [`Measured peak: not measured, because ${measured.reason}.`, ""];
  return [
    `Measured peak = ${measured.gflops.toFixed(1)} GFLOP/s: ${measured.copies} ${measured.copies === 1 ? "copy" : "copies"} of ` +
      `bench/fma-peak.c, one per core, ran at once, each a loop of independent ${measured.isa === "avx512" ? "AVX-512" : "AVX2"} FMA ` +
      "instructions on registers. Unlike the formula, it reflects the width of the FMA units and the clock that the cores really have.",
    "",
  ];
}

/** Returns the peak resident memory of a framework's worker over the main job, in bytes. */
function mainJobPeakRss(run: RunResults, framework: FrameworkId): number | undefined {
  const byWorkload = run.rssAfterWorkload.get(framework);
  const values = MAIN_JOB_WORKLOAD_IDS.map((id) => byWorkload?.get(id)).filter((value): value is number => value !== undefined);
  return values.length > 0 ? Math.max(...values) : undefined;
}

function formatMemoryTable(run: RunResults): string[] {
  const header = ["framework", "after start (MB)", "main job, batch 32 (MB)", "main job, both batches (MB)", "whole run (MB)"];
  const rows = run.frameworks.map((framework) => {
    const byWorkload = run.rssAfterWorkload.get(framework);
    const all = byWorkload ? [...byWorkload.values()] : [];
    return [
      FRAMEWORK_LABELS[framework],
      formatMegabytes(run.rssAtStart.get(framework)),
      formatMegabytes(byWorkload?.get(MAIN_JOB_WORKLOAD_IDS[0]!)),
      formatMegabytes(mainJobPeakRss(run, framework)),
      formatMegabytes(all.length > 0 ? Math.max(...all) : undefined),
    ];
  });
  return [
    "## Peak resident memory of each worker process (MB = 10⁶ bytes)",
    "",
    "Each worker runs the main job first (unless --workloads changes the order), so the peak after it covers start-up and the main job only. " +
      "Node.js reports `process.resourceUsage().maxRSS`, Python `resource.getrusage(RUSAGE_SELF).ru_maxrss`.",
    "",
    markdownTable(header, rows),
  ];
}

type Verdict = "met" | "not met" | "not measured";

interface TargetCheck {
  target: string;
  measured: string;
  verdict: Verdict;
}

/** Returns "not measured" for null, else whether the target was met. */
function verdictOf(met: boolean | null): Verdict {
  if (met === null) return "not measured";
  return met ? "met" : "not met";
}

/** Returns the fastest peer on a workload by median, among the peers that ran. */
function fastestPeer(results: WorkloadResults | undefined): { framework: FrameworkId; median: number } | null {
  let best: { framework: FrameworkId; median: number } | null = null;
  for (const framework of PEER_FRAMEWORKS) {
    const median = medianOf(results, framework);
    if (median !== null && (best === null || median > best.median)) best = { framework, median };
  }
  return best;
}

function checkSpeedupOverFastestPeer(run: RunResults, workloadId: string, factor: number, target: string): TargetCheck {
  const results = run.workloads.find((candidate) => candidate.workload.id === workloadId);
  const native = medianOf(results, REFERENCE_FRAMEWORK);
  const peer = fastestPeer(results);
  if (native === null || peer === null) return { target, measured: "Stratum native or every peer missing", verdict: "not measured" };
  const ratio = native / peer.median;
  return {
    target,
    measured: `${formatNumber(native)} vs ${FRAMEWORK_LABELS[peer.framework]} ${formatNumber(peer.median)} samples/s: ${ratio.toFixed(2)}×`,
    verdict: verdictOf(ratio >= factor),
  };
}

/**
 * Checks that Stratum native trains a workload at least as fast as Keras on
 * JAX (where it ran) and at least `wasmFactor` times as fast as TF.js wasm, in one row.
 */
function checkKerasAndWasm(run: RunResults, workloadId: string, wasmFactor: number, target: string): TargetCheck {
  const results = run.workloads.find((candidate) => candidate.workload.id === workloadId);
  const keras = results ? speedupOverPeer(results, "keras-jax") : null;
  const wasm = results ? speedupOverPeer(results, "tfjs-wasm") : null;
  if (keras === null && wasm === null) return { target, measured: "Stratum native, or both Keras/JAX and TF.js wasm, missing", verdict: "not measured" };
  const parts = [
    keras === null ? "Keras/JAX missing" : `${keras.toFixed(2)}× Keras/JAX`,
    wasm !== null
      ? `${wasm.toFixed(2)}× TF.js wasm`
      : results?.workload.unsupported?.["tfjs-wasm"] !== undefined
        ? "TF.js wasm cannot train this model (see the notes under the first table)"
        : "TF.js wasm missing",
  ];
  // Keras/JAX counts where it ran; TF.js wasm always does.
  if (wasm === null) return { target, measured: parts.join(", "), verdict: "not measured" };
  return { target, measured: parts.join(", "), verdict: verdictOf(wasm >= wasmFactor && (keras === null || keras >= 1)) };
}

/** Describes a GEMM rate against the peak formula, and against the measured peak when there is one. The verdict uses the formula alone. */
function gemmMeasuredText(gflops: number, share: number, measured: number | null): string {
  const text = `${formatNumber(gflops)} GFLOP/s, ${(share * 100).toFixed(0)}% of peak`;
  return measured === null ? text : `${text} (${((gflops / measured) * 100).toFixed(0)}% of the measured peak, ${measured.toFixed(1)} GFLOP/s)`;
}

function checkTargets(run: RunResults): TargetCheck[] {
  const checks: TargetCheck[] = [
    checkSpeedupOverFastestPeer(run, "mnist-b32", 2, "Main job, batch 32: ≥ 2× the fastest peer"),
  ];

  const b32 = run.workloads.find((results) => results.workload.id === "mnist-b32");
  const wasmRatio = b32 ? speedupOverPeer(b32, "tfjs-wasm") : null;
  checks.push({
    target: "Main job, batch 32: ≥ 20× TF.js wasm",
    measured: wasmRatio === null ? "Stratum native or TF.js wasm missing" : `${wasmRatio.toFixed(2)}×`,
    verdict: verdictOf(wasmRatio === null ? null : wasmRatio >= 20),
  });
  checks.push(checkSpeedupOverFastestPeer(run, "mnist-b256", 1.2, "Main job, batch 256: ≥ 1.2× the fastest peer"));
  checks.push(checkSpeedupOverFastestPeer(run, "large-mlp-b256", 1.2, "Large MLP, batch 256: ≥ 1.2× the fastest peer"));
  checks.push(checkKerasAndWasm(run, "mnist-cnn-b32", 5, "MNIST CNN, batch 32: ≥ 1× Keras/JAX and ≥ 5× TF.js wasm"));
  checks.push(checkKerasAndWasm(run, "lstm-b32", 5, "LSTM(64), batch 32: ≥ 1× Keras/JAX and ≥ 5× TF.js wasm"));

  for (const shapeId of ["square-1024", "square-2048"]) {
    const shape = GEMM_SHAPES.find((candidate) => candidate.id === shapeId)!;
    const values = run.gemm.get(shapeId)?.get(REFERENCE_FRAMEWORK);
    const share = values?.length ? summarize(values).median / run.peak.gflops : null;
    checks.push({
      target: `GEMM ${shape.m}²: ≥ 80% of peak (${(run.peak.gflops * 0.8).toFixed(0)} GFLOP/s)`,
      measured: share === null ? "not run" : gemmMeasuredText(summarize(values!).median, share, measuredGflops(run)),
      verdict: verdictOf(share === null ? null : share >= 0.8),
    });
  }

  const latencyResults = run.workloads.find((results) => results.workload.id === "predict-one");
  const latency = medianOf(latencyResults, REFERENCE_FRAMEWORK);
  checks.push({
    target: "One-sample predict: < 10 µs",
    measured: latency === null ? "not run" : `${formatNumber(latency)} µs`,
    verdict: verdictOf(latency === null ? null : latency < 10),
  });

  const nativeRss = mainJobPeakRss(run, REFERENCE_FRAMEWORK);
  const peerRss = PEER_FRAMEWORKS.map((framework) => ({ framework, bytes: mainJobPeakRss(run, framework) })).filter(
    (entry): entry is { framework: FrameworkId; bytes: number } => entry.bytes !== undefined,
  );
  const smallestPeer = peerRss.reduce<(typeof peerRss)[number] | null>((best, entry) => (best === null || entry.bytes < best.bytes ? entry : best), null);
  checks.push({
    target: "Peak RSS of the main job below every peer",
    measured:
      nativeRss === undefined || smallestPeer === null
        ? "Stratum native or every peer missing"
        : `${formatMegabytes(nativeRss)} MB vs smallest peer ${FRAMEWORK_LABELS[smallestPeer.framework]} ${formatMegabytes(smallestPeer.bytes)} MB`,
    verdict: verdictOf(nativeRss === undefined || smallestPeer === null ? null : nativeRss < smallestPeer.bytes),
  });
  return checks;
}

function formatTargets(run: RunResults): string[] {
  const ran = PEER_FRAMEWORKS.filter((framework) => run.frameworks.includes(framework)).map((framework) => FRAMEWORK_LABELS[framework]);
  const rows = checkTargets(run).map((check) => [check.target, check.measured, check.verdict]);
  return [
    "## Targets",
    "",
    `Peers are the frameworks other than Stratum that ran: ${ran.length > 0 ? ran.join(", ") : "none"}.`,
    "",
    markdownTable(["target", "measured (Stratum native)", "verdict"], rows),
  ];
}

/** Returns the short commit of the working tree, marked when it has uncommitted changes, or null outside git. */
function gitRevision(): string | null {
  try {
    const options = { encoding: "utf8" as const, stdio: ["ignore", "pipe", "ignore"] as ("ignore" | "pipe")[] };
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], options).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], options).trim() !== "";
    return dirty ? `${commit} with uncommitted changes` : commit;
  } catch {
    return null;
  }
}

/** Returns the text of /proc/cpuinfo, or an empty string where there is none. */
function readCpuinfo(): string {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return "";
  }
}

/** Returns one field of `lscpu`, or null when lscpu is missing or lacks the field. */
function lscpuField(field: string): string | null {
  try {
    const text = execFileSync("lscpu", [], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${field}:`));
    return line ? line.slice(field.length + 1).trim() : null;
  } catch {
    return null;
  }
}

/** The clock the report assumes when neither /proc/cpuinfo nor lscpu states one. */
const ASSUMED_CLOCK_GHZ = 2.6;

/**
 * Computes the peak as cores × clock × 64 FLOP/cycle: two 512-bit FMA
 * units, each doing 16 float32 multiply-adds per cycle. The clock is the
 * first "cpu MHz" of /proc/cpuinfo, else lscpu's maximum, else assumed.
 */
export function machinePeak(): MachinePeak {
  const cores = os.availableParallelism();
  const flopsPerCycle = 64;
  const cpuinfoMhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readCpuinfo())?.[1];
  const lscpuMhz = lscpuField("CPU max MHz");
  let clockGhz = ASSUMED_CLOCK_GHZ;
  let clockSource = `assumed ${ASSUMED_CLOCK_GHZ} GHz, because neither /proc/cpuinfo nor lscpu states it`;
  if (cpuinfoMhz) {
    clockGhz = Number(cpuinfoMhz) / 1000;
    clockSource = `"cpu MHz" of /proc/cpuinfo, ${cpuinfoMhz} MHz`;
  } else if (lscpuMhz) {
    clockGhz = Number(lscpuMhz) / 1000;
    clockSource = `"CPU max MHz" of lscpu, ${lscpuMhz} MHz`;
  }
  return { cores, clockGhz, clockSource, flopsPerCycle, gflops: cores * clockGhz * flopsPerCycle };
}

/** Returns Markdown list lines describing the machine and the Node.js version. */
export function describeMachine(): string[] {
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(readCpuinfo())?.[1] ?? "").split(/\s+/));
  const relevant = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"].map((flag) => `${flag} ${flags.has(flag) ? "yes" : "no"}`);
  const hypervisor = lscpuField("Hypervisor vendor");
  return [
    `- CPU: ${lscpuField("Model name") ?? os.cpus()[0]?.model ?? "unknown"}, ${os.availableParallelism()} logical cores` +
      `${hypervisor ? `, ${hypervisor} guest` : ""}; flags: ${relevant.join(", ")}`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Linux ${os.release()}; Node.js ${process.version}`,
  ];
}

/** Formats the whole report. */
export function formatReport(run: RunResults, machineLines: string[]): string {
  const revision = gitRevision();
  const lines = [
    "# Benchmark report",
    "",
    `Command: \`${run.command}\``,
    "",
    ...machineLines,
    `- Date: ${new Date().toISOString()}`,
    ...(revision ? [`- Git revision: ${revision}`] : []),
    ...run.frameworks.map((framework) => `- ${FRAMEWORK_LABELS[framework]}: ${run.descriptions.get(framework)}`),
    ...[...run.skipped].map(([framework, reason]) => `- ${FRAMEWORK_LABELS[framework]}: skipped. ${reason}`),
    ...run.settings.map((setting) => `- ${setting}`),
  ];
  if (run.failures.length > 0) lines.push("", "Failures:", "", ...run.failures.map((failure) => `- ${failure}`));
  for (const section of [
    formatThroughputTable(run),
    formatAccuracyTable(run),
    formatRatioTable(run),
    formatGemmTable(run),
    formatMemoryTable(run),
    formatTargets(run),
  ]) {
    if (section.length > 0) lines.push("", ...section);
  }
  return `${lines.join("\n")}\n`;
}
