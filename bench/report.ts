/**
 * Statistics and Markdown output for the benchmark driver.
 */

import { execFileSync } from "node:child_process";
import os from "node:os";
import { DATA_SET_LABELS, FRAMEWORK_LABELS, type FrameworkId, type Workload } from "./workloads.js";

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

/** Throughputs in samples/s, keyed by workload id, then by framework. */
export type Results = Map<string, Map<FrameworkId, number[]>>;

function formatRate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function formatSummary(values: readonly number[] | undefined): string {
  if (!values || values.length === 0) return "n/a";
  const { median, min, max } = summarize(values);
  return `${formatRate(median)} (${formatRate(min)}–${formatRate(max)})`;
}

function formatRatio(numerator: readonly number[] | undefined, denominator: readonly number[] | undefined): string {
  if (!numerator?.length || !denominator?.length) return "n/a";
  return (summarize(numerator).median / summarize(denominator).median).toFixed(2);
}

/** Lays out rows as a Markdown table whose columns line up in a terminal too. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  const rule = `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/**
 * Formats the results table: the median throughput of each framework with its
 * min–max spread, then the ratios of the Stratum median to each TF.js median.
 */
export function formatResultsTable(workloads: readonly Workload[], results: Results): string {
  const header = [
    "workload",
    "data",
    `${FRAMEWORK_LABELS.stratum} (samples/s)`,
    `${FRAMEWORK_LABELS["tfjs-cpu"]} (samples/s)`,
    `${FRAMEWORK_LABELS["tfjs-wasm"]} (samples/s)`,
    "Stratum/cpu",
    "Stratum/wasm",
  ];
  const rows = workloads.map((workload) => {
    const byFramework = results.get(workload.id);
    const stratum = byFramework?.get("stratum");
    const cpu = byFramework?.get("tfjs-cpu");
    const wasm = byFramework?.get("tfjs-wasm");
    return [
      `${workload.label} (${workload.samples} samples)`,
      DATA_SET_LABELS[workload.dataSet],
      formatSummary(stratum),
      formatSummary(cpu),
      formatSummary(wasm),
      formatRatio(stratum, cpu),
      formatRatio(stratum, wasm),
    ];
  });
  return markdownTable(header, rows);
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

/** Returns Markdown list lines describing the machine, the software and the run settings. */
export function describeEnvironment(frameworkDescriptions: ReadonlyMap<FrameworkId, string>, settings: string): string[] {
  const lines = [
    `- CPU: ${os.cpus()[0]?.model ?? "unknown"}, ${os.availableParallelism()} logical cores`,
    `- Node.js ${process.version} on ${os.platform()} ${os.arch()}`,
    `- Date: ${new Date().toISOString()}`,
  ];
  const revision = gitRevision();
  if (revision) lines.push(`- Git revision: ${revision}`);
  for (const [framework, description] of frameworkDescriptions) {
    lines.push(`- ${FRAMEWORK_LABELS[framework]}: ${description}`);
  }
  lines.push(`- Settings: ${settings}`);
  return lines;
}
