/**
 * The fuzzer's execution thread. It runs one input at a time and replies
 * with the outcome and, when coverage is on, the V8 code blocks under
 * `src/` that the input reached for the first time in this thread. The
 * parent terminates this thread when an input runs past its time bound.
 */

import { Session } from "node:inspector/promises";
import { parentPort, workerData } from "node:worker_threads";
import { setLogLevel } from "../../src/logger.js";
import { type TargetName, classify, runTarget } from "./targets.js";

export interface ExecRequest {
  id: number;
  target: TargetName;
  bytes: Uint8Array;
  base: string | null;
}

export interface ExecReply {
  id: number;
  outcome: ReturnType<typeof classify>;
  newBlocks: string[];
}

interface WorkerOptions {
  bases: Map<string, Uint8Array>;
  hdf5TimeoutMs: number;
  coverage: boolean;
  sourceRoot: string;
}

const options = workerData as WorkerOptions;
setLogLevel("silent");

const seenBlocks = new Set<string>();
let session: Session | null = null;

async function startCoverage(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  // Binary block coverage: each take reports the blocks run since the previous one.
  await session.post("Profiler.startPreciseCoverage", { callCount: false, detailed: true });
}

/** Per function (keyed by file and start offset), the block ranges some input has left unrun. */
const knownBlocks = new Map<string, Set<string>>();

/**
 * Returns the blocks this input ran for the first time in this thread. In
 * binary mode V8 lists, inside each function that ran, only the blocks that
 * did not run, so a block counts as run when an earlier input left it
 * unrun and this one did not.
 */
async function takeNewBlocks(): Promise<string[]> {
  if (!session) return [];
  const { result } = await session.post("Profiler.takePreciseCoverage");
  const fresh: string[] = [];
  const mark = (key: string) => {
    if (!seenBlocks.has(key)) {
      seenBlocks.add(key);
      fresh.push(key);
    }
  };
  for (const script of result) {
    if (!script.url.startsWith(options.sourceRoot)) continue;
    const file = script.url.slice(options.sourceRoot.length);
    for (const fn of script.functions) {
      const [whole, ...blocks] = fn.ranges;
      if (!whole || whole.count === 0) continue;
      const functionKey = `${file}:${whole.startOffset}`;
      mark(functionKey);
      const unrun = blocks.filter((range) => range.count === 0);
      const known = knownBlocks.get(functionKey) ?? new Set<string>();
      knownBlocks.set(functionKey, known);
      const unrunKeys = new Set(unrun.map((range) => `${range.startOffset}-${range.endOffset}`));
      for (const block of known) {
        const [start, end] = block.split("-").map(Number) as [number, number];
        const inside = unrun.some((range) => range.startOffset <= start && end <= range.endOffset);
        if (!unrunKeys.has(block) && !inside) mark(`${functionKey}#${block}`);
      }
      for (const key of unrunKeys) known.add(key);
    }
  }
  return fresh;
}

async function execute(request: ExecRequest): Promise<ExecReply> {
  const base = request.base === null ? undefined : options.bases.get(request.base);
  let outcome: ExecReply["outcome"];
  try {
    await runTarget(request.target, request.bytes, { base, hdf5TimeoutMs: options.hdf5TimeoutMs });
    outcome = { kind: "loaded" };
  } catch (error) {
    outcome = classify(error);
  }
  return { id: request.id, outcome, newBlocks: await takeNewBlocks() };
}

if (options.coverage) await startCoverage();
parentPort!.on("message", (request: ExecRequest) => {
  void execute(request).then((reply) => parentPort!.postMessage(reply));
});
parentPort!.postMessage({ ready: true });
