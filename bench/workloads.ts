/**
 * Definitions shared by the benchmark driver (run.ts) and its worker
 * processes (worker.ts): the workloads, the synthetic data and the messages
 * the two exchange.
 */

export const INPUT_FEATURES = 784;
export const CLASSES = 10;

/** Seed of the synthetic data, so every worker builds identical arrays. */
const DATA_SEED = 20240611;

export type WorkloadKind = "fit" | "predict";

export interface Workload {
  id: string;
  /** Text of the workload column in the results table. */
  label: string;
  kind: WorkloadKind;
  /** Units of the hidden relu Dense layers. The output layer is always Dense(10, softmax). */
  hiddenUnits: number[];
  batchSize: number;
  /** Samples in one measured pass: one training epoch, or one predict call. */
  samples: number;
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: "mlp-b32",
    label: "fit MLP 784-64-10, batch 32",
    kind: "fit",
    hiddenUnits: [64],
    batchSize: 32,
    samples: 8000,
  },
  {
    id: "mlp-b256",
    label: "fit MLP 784-64-10, batch 256",
    kind: "fit",
    hiddenUnits: [64],
    batchSize: 256,
    samples: 8000,
  },
  {
    // TF.js's cpu backend trained this model at about 55 samples/s in bench/run.ts
    // on a 2-core AMD EPYC, so 512 samples (4 batches) keep its epoch near 10 s.
    id: "large-mlp-b128",
    label: "fit MLP 784-1024-1024-10, batch 128",
    kind: "fit",
    hiddenUnits: [1024, 1024],
    batchSize: 128,
    samples: 512,
  },
  {
    id: "mlp-predict-b256",
    label: "predict MLP 784-64-10, batch 256",
    kind: "predict",
    hiddenUnits: [64],
    batchSize: 256,
    samples: 8000,
  },
];

export const FRAMEWORKS = ["stratum", "tfjs-cpu", "tfjs-wasm"] as const;
export type FrameworkId = (typeof FRAMEWORKS)[number];

export const FRAMEWORK_LABELS: Record<FrameworkId, string> = {
  stratum: "Stratum",
  "tfjs-cpu": "TF.js cpu",
  "tfjs-wasm": "TF.js wasm",
};

export interface SyntheticData {
  /** Features uniform in [0, 1), [samples, INPUT_FEATURES]. */
  x: Float32Array;
  /** One-hot labels of uniformly drawn classes, [samples, CLASSES]. */
  y: Float32Array;
  /** Sum of the features and labels, which the driver compares across workers. */
  checksum: number;
}

/**
 * Builds the inputs and one-hot labels from a fixed xorshift32 stream, so
 * every framework receives bit-identical float32 data. The features are dense
 * (no zeros), unlike MNIST, where about 80% of the pixels are 0.
 */
export function makeSyntheticData(samples: number): SyntheticData {
  let state = DATA_SEED >>> 0;
  const nextUniform = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };

  const x = new Float32Array(samples * INPUT_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = nextUniform();
  const y = new Float32Array(samples * CLASSES);
  for (let row = 0; row < samples; row++) {
    const label = Math.min(CLASSES - 1, Math.floor(nextUniform() * CLASSES));
    y[row * CLASSES + label] = 1;
  }

  let checksum = 0;
  for (const value of x) checksum += value;
  for (const value of y) checksum += value;
  return { x, y, checksum };
}

/** A message from the driver to a worker. */
export type DriverMessage =
  | { type: "prepare"; workload: Workload }
  | { type: "measure" }
  | { type: "release" }
  | { type: "exit" };

/** A message from a worker to the driver. */
export type WorkerMessage =
  | { type: "hello"; description: string }
  | { type: "prepared"; checksum: number; warmupSeconds: number }
  | { type: "measured"; seconds: number }
  | { type: "released" }
  | { type: "error"; message: string };
