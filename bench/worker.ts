/**
 * A benchmark worker: a child process of run.ts that runs one framework.
 * Each framework gets its own process, so one framework's heap, JIT state and
 * leftover garbage cannot slow another. The driver sends one request at a
 * time, so only one worker computes at any moment.
 *
 * Usage (by run.ts only): node --expose-gc worker.ts FRAMEWORK
 */

import { createRunner, type PreparedWorkload } from "./runners.js";
import { makeWorkloadData } from "./data.js";
import { FRAMEWORKS, type DriverMessage, type FrameworkId, type WorkerMessage } from "./workloads.js";

// Every file the benchmark uses is on disk, so any network request is a bug.
// Failing loudly keeps a run from downloading, for example, a .wasm file.
globalThis.fetch = (input: string | URL | Request): Promise<Response> => {
  const url = input instanceof Request ? input.url : String(input);
  return Promise.reject(new Error(`Network access is disabled in the benchmark, but a request was made for ${url}.`));
};

function send(message: WorkerMessage): void {
  if (!process.send) throw new Error("bench/worker.ts must be started by bench/run.ts, which opens an IPC channel.");
  process.send(message);
}

/** Runs a full garbage collection when Node was started with --expose-gc, so each pass starts from a clean heap. */
function collectGarbage(): void {
  globalThis.gc?.();
}

async function timePass(prepared: PreparedWorkload): Promise<number> {
  collectGarbage();
  const started = performance.now();
  await prepared.run();
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const framework = process.argv[2];
  if (!FRAMEWORKS.includes(framework as FrameworkId)) {
    throw new Error(`Invalid framework "${framework}": expected one of ${FRAMEWORKS.join(", ")}.`);
  }
  const runner = await createRunner(framework as FrameworkId);
  let prepared: PreparedWorkload | null = null;

  const handle = async (message: DriverMessage): Promise<void> => {
    switch (message.type) {
      case "prepare": {
        prepared?.release();
        const data = makeWorkloadData(message.workload);
        prepared = runner.prepare(message.workload, data);
        // The warm-up pass compiles the hot code paths and is not reported.
        const warmupSeconds = await timePass(prepared);
        send({ type: "prepared", checksum: data.checksum, warmupSeconds });
        break;
      }
      case "measure": {
        if (!prepared) throw new Error("Received a measure request before any prepare request.");
        send({ type: "measured", seconds: await timePass(prepared) });
        break;
      }
      case "release": {
        prepared?.release();
        prepared = null;
        send({ type: "released" });
        break;
      }
      case "exit":
        process.disconnect();
        break;
    }
  };

  process.on("message", (message: DriverMessage) => {
    handle(message).catch((error: unknown) => {
      send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  });
  send({ type: "hello", description: runner.description });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) send({ type: "error", message });
  else console.error(message);
  process.exitCode = 1;
});
