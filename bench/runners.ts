/**
 * One runner per framework: each builds the workload's model on the data that
 * the worker passes in and runs one measured pass (a training epoch or a predict
 * call) per `run()`.
 */

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Tensor as TfTensor } from "@tensorflow/tfjs-core";
import type { WorkloadData } from "./data.js";
import type { FrameworkId, Workload } from "./workloads.js";
import { CLASSES, INPUT_FEATURES } from "./workloads.js";

export interface PreparedWorkload {
  /** Runs one pass over the workload's samples and returns when the results are computed. */
  run(): Promise<void>;
  /** Drops the model and data so the next workload starts from a small heap. */
  release(): void;
}

export interface Runner {
  /** Framework, version and backend details for the report header. */
  readonly description: string;
  prepare(workload: Workload, data: WorkloadData): PreparedWorkload;
}

const require = createRequire(import.meta.url);

function readVersion(manifestPath: string | URL): string {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version: string };
  return manifest.version;
}

async function createStratumRunner(): Promise<Runner> {
  const stratum = await import("stratum-ml");
  const { Dense, Input, Sequential, getBackend, setRandomSeed, tensor } = stratum;
  const backendName = getBackend().name;

  return {
    description: `stratum-ml ${readVersion(new URL("../package.json", import.meta.url))}, backend "${backendName}"`,
    prepare(workload, data) {
      setRandomSeed(0);
      const layers = [
        Input({ shape: [INPUT_FEATURES] }),
        ...workload.hiddenUnits.map((units) => new Dense({ units, activation: "relu" })),
        new Dense({ units: CLASSES, activation: "softmax" }),
      ];
      const model = new Sequential(layers);
      model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
      const x = tensor(data.x, [workload.samples, INPUT_FEATURES]);
      const y = tensor(data.y, [workload.samples, CLASSES]);
      const { batchSize } = workload;

      return {
        async run() {
          if (workload.kind === "fit") {
            await model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: true });
          } else {
            model.predict(x, { batchSize, verbose: 0 });
          }
        },
        release() {
          // Stratum tensors are plain garbage-collected arrays, so dropping the
          // references (when this object goes) is all a release needs.
        },
      };
    },
  };
}

/** Returns the folder of the .wasm files that @tensorflow/tfjs-backend-wasm ships in its npm package, after checking that they exist. */
function localWasmFolder(): string {
  const folder = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
  for (const file of ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"]) {
    if (!existsSync(path.join(folder, file))) {
      throw new Error(`Missing ${file} in ${folder}: reinstall @tensorflow/tfjs-backend-wasm with npm install.`);
    }
  }
  return folder + path.sep;
}

async function createTfjsRunner(backend: "cpu" | "wasm"): Promise<Runner> {
  const tf = await import("@tensorflow/tfjs-core");
  const tfl = await import("@tensorflow/tfjs-layers");
  let details = "";
  if (backend === "cpu") {
    await import("@tensorflow/tfjs-backend-cpu");
  } else {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(localWasmFolder());
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    details = `, SIMD ${simd ? "on" : "off"}, threads ${threads ? "on" : "off"}`;
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js failed to initialize its ${backend} backend.`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`TF.js runs on "${tf.getBackend()}", expected "${backend}".`);

  return {
    description: `TF.js ${tf.version_core} (layers ${tfl.version_layers}), backend "${backend}"${details}`,
    prepare(workload, data) {
      const layers = [
        ...workload.hiddenUnits.map((units, index) =>
          tfl.layers.dense(index === 0 ? { units, activation: "relu", inputShape: [INPUT_FEATURES] } : { units, activation: "relu" }),
        ),
        tfl.layers.dense({ units: CLASSES, activation: "softmax" }),
      ];
      const model = tfl.sequential({ layers });
      model.compile({ optimizer: "adam", loss: "categoricalCrossentropy" });
      const x = tf.tensor2d(data.x, [workload.samples, INPUT_FEATURES]);
      const y = tf.tensor2d(data.y, [workload.samples, CLASSES]);
      const { batchSize } = workload;

      return {
        async run() {
          if (workload.kind === "fit") {
            await model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: true });
          } else {
            const output = model.predict(x, { batchSize }) as TfTensor;
            // Reading the values makes sure every kernel has finished.
            output.dataSync();
            output.dispose();
          }
        },
        release() {
          model.dispose();
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

export async function createRunner(framework: FrameworkId): Promise<Runner> {
  switch (framework) {
    case "stratum":
      return createStratumRunner();
    case "tfjs-cpu":
      return createTfjsRunner("cpu");
    case "tfjs-wasm":
      return createTfjsRunner("wasm");
  }
}
