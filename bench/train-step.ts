/**
 * Trains one MLP on the MNIST digits for a few epochs and prints samples/s
 * per epoch, for profiling a training step with `--cpu-prof`, `--trace-gc`
 * or callgrind. It is not part of `npm run bench`.
 *
 *   node --conditions=stratum-source --import tsx bench/train-step.ts [options]
 *
 * Options: --batch N (default 32), --epochs N (default 5), --samples N
 * (training digits per epoch, default 8000), --hidden 64[,64...] (hidden
 * layer sizes, default 64) and --allocations. With --allocations, V8's
 * sampling heap profiler samples every allocation after the first epoch,
 * including objects the garbage collector has already freed, and the script
 * prints the top allocation sites in bytes per training step. Prints one
 * line per epoch and the medians.
 */

import { Session } from "node:inspector/promises";
import { parseArgs } from "node:util";
import { Dense, Input, Sequential, getBackend, setRandomSeed, tensor } from "stratum-ml";
import { loadMnistDigits, selectRows } from "./data.js";
import { CLASSES, INPUT_FEATURES, MNIST_TRAIN_DIGITS } from "./workloads.js";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "32" },
    epochs: { type: "string", default: "5" },
    samples: { type: "string", default: String(MNIST_TRAIN_DIGITS) },
    hidden: { type: "string", default: "64" },
    allocations: { type: "boolean", default: false },
  },
});
const batchSize = Number(values.batch);
const epochs = Number(values.epochs);
const samples = Math.min(Number(values.samples), MNIST_TRAIN_DIGITS);
const hidden = values.hidden.split(",").map(Number);

const digits = loadMnistDigits();
const rows = selectRows(digits, 0, samples);
const x = tensor(rows.x, [rows.count, INPUT_FEATURES]);
const y = tensor(rows.y, [rows.count, CLASSES]);

setRandomSeed(0);
const model = new Sequential([
  Input({ shape: [INPUT_FEATURES] }),
  ...hidden.map((units) => new Dense({ units, activation: "relu" })),
  new Dense({ units: CLASSES, activation: "softmax" }),
]);
model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

function describeFrame(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  return `${functionName || "(anonymous)"}${url ? " " + url.replace(/^.*\/(src|bench)\//, "$1/") : ""}`;
}

/**
 * Sums the sampled bytes of every node by function, largest first. A
 * built-in function (one without a source file) is named with its caller.
 */
function allocationSites(root: ProfileNode): [string, number][] {
  const totals = new Map<string, number>();
  const pending: [ProfileNode, string][] = [[root, ""]];
  while (pending.length > 0) {
    const [node, caller] = pending.pop()!;
    const frame = describeFrame(node);
    const site = node.callFrame.url ? frame : `${caller} > ${frame}`;
    totals.set(site, (totals.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) pending.push([child, frame]);
  }
  return [...totals].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
}

const session = new Session();
const rates: number[] = [];
const cpuPerStep: number[] = [];
for (let epoch = 0; epoch < epochs; epoch++) {
  if (values.allocations && epoch === 1) {
    session.connect();
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 64,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  await model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: true });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMicroseconds = (cpu.user + cpu.system) / Math.ceil(rows.count / batchSize);
  rates.push(rows.count / seconds);
  cpuPerStep.push(cpuMicroseconds);
  console.log(`epoch ${epoch + 1}: ${Math.round(rows.count / seconds)} samples/s, ${cpuMicroseconds.toFixed(1)} µs of CPU time per step`);
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
// CPU time (all threads of the process) changes less than wall-clock time when other processes share the cores.
console.log(
  `backend ${getBackend().name}, MLP ${INPUT_FEATURES}-${hidden.join("-")}-${CLASSES}, batch ${batchSize}: ` +
    `median ${Math.round(median(rates))} samples/s, ${median(cpuPerStep).toFixed(1)} µs of CPU time per step over ${epochs} epochs`,
);

if (values.allocations && epochs > 1) {
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: ProfileNode } };
  const steps = (epochs - 1) * Math.ceil(rows.count / batchSize);
  const sites = allocationSites(profile.head);
  const total = sites.reduce((sum, [, bytes]) => sum + bytes, 0);
  console.log(`allocated about ${Math.round(total / steps)} bytes per training step (sampled), top sites:`);
  for (const [site, bytes] of sites.slice(0, 30)) console.log(`${String(Math.round(bytes / steps)).padStart(8)}  ${site}`);
}
