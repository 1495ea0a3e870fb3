/**
 * One runner per Node.js framework (Stratum on either backend, TF.js cpu and
 * wasm). A runner builds a workload's model on the data that the worker
 * passes in and runs one measured pass per `run()`. The Python peers
 * implement the same interface in peers/*.py.
 */

import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Tensor as TfTensor } from "@tensorflow/tfjs-core";
import { accuracyOf, selectRows, selectSequences, type BenchData, type DigitRows } from "./data.js";
import {
  CLASSES,
  IMAGE_SIDE,
  INPUT_FEATURES,
  LSTM_UNITS,
  MNIST_TEST_DIGITS,
  MNIST_TRAIN_DIGITS,
  SEQUENCE_FEATURES,
  SEQUENCE_STEPS,
  modelOf,
  type FrameworkId,
  type GemmShape,
  type Workload,
} from "./workloads.js";

export interface PreparedWorkload {
  /**
   * Runs one pass and returns its time in seconds: the whole pass for "fit"
   * and "predict", the median call time for "predict-one".
   */
  run(): Promise<number>;
  /** Returns the accuracy on the held-out digits of the model as trained so far. */
  evaluate(): Promise<number>;
  /** Drops the model and data so the next workload starts from a small heap. */
  release(): void;
}

/** Runs one product with inputs and output allocated beforehand. */
type GemmCall = () => void;

export interface Runner {
  /** Framework, version and backend details for the report header. */
  readonly description: string;
  prepare(workload: Workload, data: BenchData): PreparedWorkload;
  /** Returns a product of `shape` on fresh random inputs, or null when the framework has no matrix-multiply measurement. */
  createGemmCall(shape: GemmShape): GemmCall | null;
}

const require = createRequire(import.meta.url);

function readVersion(manifestPath: string | URL): string {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version: string };
  return manifest.version;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Times each of `calls` calls of `predictOne` and returns the median in seconds. */
function medianCallSeconds(calls: number, predictOne: () => void): number {
  const times = new Array<number>(calls);
  for (let call = 0; call < calls; call++) {
    const started = performance.now();
    predictOne();
    times[call] = (performance.now() - started) / 1000;
  }
  return median(times);
}

async function timeSeconds(action: () => Promise<void> | void): Promise<number> {
  const started = performance.now();
  await action();
  return (performance.now() - started) / 1000;
}

/** Returns uniform random float32 values in [-1, 1). */
function randomMatrix(length: number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = Math.random() * 2 - 1;
  return values;
}

/** Inputs and targets of one workload: the pass data, and the held-out digits when the workload measures accuracy. */
interface WorkloadArrays {
  x: Float32Array;
  y: Float32Array;
  /** Shape of one input sample and of one target. */
  sampleShape: number[];
  targetShape: number[];
  count: number;
  test: DigitRows | null;
}

/** Selects the data of one workload, shaped for its model. */
function workloadArrays(workload: Workload, data: BenchData): WorkloadArrays {
  const model = modelOf(workload);
  if (model === "lstm") {
    if (workload.measureAccuracy) throw new Error(`Invalid workload ${workload.id}: the LSTM workload has no classes to measure accuracy on.`);
    const pass = selectSequences(data.sequences, workload.samples);
    return { ...pass, sampleShape: [SEQUENCE_STEPS, SEQUENCE_FEATURES], targetShape: [1], test: null };
  }
  if (workload.kind === "fit" && workload.samples > MNIST_TRAIN_DIGITS) {
    throw new Error(`Invalid workload ${workload.id}: it trains on ${workload.samples} digits, but only the first ${MNIST_TRAIN_DIGITS} are for training.`);
  }
  const pass = selectRows(data.digits, 0, workload.samples);
  return {
    x: pass.x,
    y: pass.y,
    count: pass.count,
    sampleShape: model === "mnist-cnn" ? [IMAGE_SIDE, IMAGE_SIDE, 1] : [INPUT_FEATURES],
    targetShape: [CLASSES],
    test: workload.measureAccuracy ? selectRows(data.digits, MNIST_TRAIN_DIGITS, MNIST_TEST_DIGITS) : null,
  };
}

/** Returns the workload's predict calls per pass, 1 when a "predict" workload leaves it out. */
function requireCalls(workload: Workload): number {
  const calls = workload.calls ?? (workload.kind === "predict" ? 1 : undefined);
  if (calls === undefined || !Number.isInteger(calls) || calls < 1) {
    throw new Error(`Invalid workload ${workload.id}: a "${workload.kind}" workload needs a positive integer \`calls\`, received ${calls}.`);
  }
  return calls;
}

/** Calls `action` `count` times. */
function repeat(count: number, action: () => void): void {
  for (let call = 0; call < count; call++) action();
}

/**
 * Describes the native addon: its instruction set and threads when the
 * backend exposes them, and the file's modification time and SHA-256 prefix,
 * because the addon is rebuilt in place and a report must name the build it measured.
 */
function describeNativeAddon(backend: object): string {
  let text = "";
  const addon = (backend as { addon?: { info?: () => { isa: string; threads: number } } }).addon;
  if (typeof addon?.info === "function") {
    const info = addon.info();
    text += `, kernels ${info.isa}, ${info.threads} threads`;
  }
  // The same path rule as loadNativeAddon in src/backend/native/index.ts.
  const addonPath = process.env["STRATUM_NATIVE_ADDON"] || fileURLToPath(new URL("../build/Release/stratum_native.node", import.meta.url));
  if (existsSync(addonPath)) {
    const digest = createHash("sha256").update(readFileSync(addonPath)).digest("hex").slice(0, 12);
    text += `, addon ${path.basename(addonPath)} built ${statSync(addonPath).mtime.toISOString()}, sha256 ${digest}`;
  }
  return text;
}

async function createStratumRunner(expectedBackend: "native" | "typescript"): Promise<Runner> {
  const stratum = await import("stratum-ml");
  const { Conv2D, Dense, Dropout, Flatten, Input, LSTM, MaxPooling2D, Sequential, getBackend, setRandomSeed, tensor } = stratum;
  // worker.ts received STRATUM_BACKEND from the driver, and getBackend() reads it on its first call.
  const backend = getBackend();
  if (backend.name !== expectedBackend) {
    throw new Error(`Stratum runs on its "${backend.name}" backend, expected "${expectedBackend}" (STRATUM_BACKEND=${process.env["STRATUM_BACKEND"]}).`);
  }

  return {
    description:
      `stratum-ml ${readVersion(new URL("../package.json", import.meta.url))}, backend "${backend.name}"` +
      `${backend.name === "native" ? describeNativeAddon(backend) : ""}`,
    prepare(workload, data) {
      setRandomSeed(0);
      const arrays = workloadArrays(workload, data);
      const input = Input({ shape: arrays.sampleShape });
      let layers;
      switch (modelOf(workload)) {
        case "mlp":
          layers = [
            input,
            ...workload.hiddenUnits.map((units) => new Dense({ units, activation: "relu" })),
            new Dense({ units: CLASSES, activation: "softmax" }),
          ];
          break;
        case "mnist-cnn":
          layers = [
            input,
            new Conv2D({ filters: 32, kernelSize: 3, activation: "relu" }),
            new MaxPooling2D({ poolSize: 2 }),
            new Conv2D({ filters: 64, kernelSize: 3, activation: "relu" }),
            new MaxPooling2D({ poolSize: 2 }),
            new Flatten(),
            new Dropout({ rate: 0.5 }),
            new Dense({ units: CLASSES, activation: "softmax" }),
          ];
          break;
        case "lstm":
          layers = [input, new LSTM({ units: LSTM_UNITS }), new Dense({ units: 1 })];
          break;
      }
      const model = new Sequential(layers);
      model.compile({ optimizer: "adam", loss: modelOf(workload) === "lstm" ? "mean_squared_error" : "categorical_crossentropy" });
      const x = tensor(arrays.x, [arrays.count, ...arrays.sampleShape]);
      const y = tensor(arrays.y, [arrays.count, ...arrays.targetShape]);
      const { batchSize } = workload;

      return {
        async run() {
          switch (workload.kind) {
            case "fit":
              return timeSeconds(() => model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: true }).then(() => undefined));
            case "predict":
              return timeSeconds(() => repeat(requireCalls(workload), () => model.predict(x, { batchSize, verbose: 0 })));
            case "predict-one":
              // Stratum computes eagerly, so the returned tensor already contains its values.
              return medianCallSeconds(requireCalls(workload), () => model.predictOnBatch(x));
          }
        },
        async evaluate() {
          const { test } = arrays;
          if (!test) throw new Error(`Workload ${workload.id} does not measure accuracy.`);
          const testX = tensor(test.x, [test.count, ...arrays.sampleShape]);
          return accuracyOf(model.predict(testX, { batchSize: 256, verbose: 0 }).data, test.labels);
        },
        release() {
          // Stratum tensors are plain garbage-collected arrays, so dropping the
          // references (when this object goes) is all a release needs.
        },
      };
    },
    createGemmCall(shape) {
      const { m, k, n, transposeA, transposeB } = shape;
      const a = randomMatrix(m * k);
      const b = randomMatrix(k * n);
      const out = new Float32Array(m * n);
      return () => backend.matmul(a, b, out, m, k, n, transposeA, transposeB);
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

  /** Runs predict in batches and returns the probabilities, reading them back so every kernel has finished. */
  const predictValues = (model: ReturnType<typeof tfl.sequential>, x: TfTensor, batchSize: number): Float32Array => {
    const output = model.predict(x, { batchSize }) as TfTensor;
    const values = output.dataSync() as Float32Array;
    output.dispose();
    return values;
  };

  return {
    description: `TF.js ${tf.version_core} (layers ${tfl.version_layers}), backend "${backend}"${details}`,
    prepare(workload, data) {
      const arrays = workloadArrays(workload, data);
      const inputShape = arrays.sampleShape;
      let layers;
      switch (modelOf(workload)) {
        case "mlp":
          layers = [
            ...workload.hiddenUnits.map((units, index) =>
              tfl.layers.dense(index === 0 ? { units, activation: "relu", inputShape } : { units, activation: "relu" }),
            ),
            tfl.layers.dense(workload.hiddenUnits.length === 0 ? { units: CLASSES, activation: "softmax", inputShape } : { units: CLASSES, activation: "softmax" }),
          ];
          break;
        case "mnist-cnn":
          layers = [
            tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", inputShape }),
            tfl.layers.maxPooling2d({ poolSize: 2 }),
            tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu" }),
            tfl.layers.maxPooling2d({ poolSize: 2 }),
            tfl.layers.flatten(),
            tfl.layers.dropout({ rate: 0.5 }),
            tfl.layers.dense({ units: CLASSES, activation: "softmax" }),
          ];
          break;
        case "lstm":
          // TF.js 4.22.0's default orthogonal recurrent initializer fails with
          // "rMat.flatten is not a function", so the recurrent kernel starts
          // Glorot-uniform here. The initial values do not change the step time.
          layers = [tfl.layers.lstm({ units: LSTM_UNITS, inputShape, recurrentInitializer: "glorotUniform" }), tfl.layers.dense({ units: 1 })];
          break;
      }
      const model = tfl.sequential({ layers });
      model.compile({ optimizer: "adam", loss: modelOf(workload) === "lstm" ? "meanSquaredError" : "categoricalCrossentropy" });
      const x = tf.tensor(arrays.x, [arrays.count, ...inputShape]);
      const y = tf.tensor(arrays.y, [arrays.count, ...arrays.targetShape]);
      const { batchSize } = workload;

      return {
        async run() {
          switch (workload.kind) {
            case "fit":
              return timeSeconds(() => model.fit(x, y, { epochs: 1, batchSize, verbose: 0, shuffle: true }).then(() => undefined));
            case "predict":
              return timeSeconds(() => repeat(requireCalls(workload), () => predictValues(model, x, batchSize)));
            case "predict-one":
              return medianCallSeconds(requireCalls(workload), () => {
                predictValues(model, x, 1);
              });
          }
        },
        async evaluate() {
          const { test } = arrays;
          if (!test) throw new Error(`Workload ${workload.id} does not measure accuracy.`);
          const testX = tf.tensor(test.x, [test.count, ...inputShape]);
          const accuracy = accuracyOf(predictValues(model, testX, 256), test.labels);
          testX.dispose();
          return accuracy;
        },
        release() {
          model.dispose();
          x.dispose();
          y.dispose();
        },
      };
    },
    createGemmCall(shape) {
      const { m, k, n, transposeA, transposeB } = shape;
      const a = tf.tensor2d(randomMatrix(m * k), transposeA ? [k, m] : [m, k]);
      const b = tf.tensor2d(randomMatrix(k * n), transposeB ? [n, k] : [k, n]);
      return () => {
        const out = tf.matMul(a, b, transposeA, transposeB);
        // Reading the values back makes sure the product has finished.
        out.dataSync();
        out.dispose();
      };
    },
  };
}

export async function createRunner(framework: FrameworkId): Promise<Runner> {
  switch (framework) {
    case "stratum-native":
      return createStratumRunner("native");
    case "stratum-js":
      return createStratumRunner("typescript");
    case "tfjs-cpu":
      return createTfjsRunner("cpu");
    case "tfjs-wasm":
      return createTfjsRunner("wasm");
    case "torch":
    case "keras-jax":
      throw new Error(`${framework} runs in a Python worker (bench/peers/), not in worker.ts.`);
  }
}
