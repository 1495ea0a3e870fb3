import { ShapeError, ValueError, formatShape } from "../errors.js";
import { noGrad, valueAndGradients } from "../autodiff/tape.js";
import { Callback, History, type Logs, callHook, callbacksWithHook } from "../callbacks/callback.js";
import { Progbar, ProgbarLogger } from "../callbacks/progbar.js";
import { registerLayer } from "../layers/index.js";
import { addLayerLosses, clearLayerLosses } from "../layers/layer-losses.js";
import { type CallOptions, Layer, addedLossCount, type LayerShape, type SymbolicShape, isShapeList } from "../layers/layer.js";
import type { Variable } from "../layers/variable.js";
import * as losses from "../losses/index.js";
import * as metrics from "../metrics/index.js";
import * as ops from "../ops/index.js";
import * as optimizers from "../optimizers/index.js";
import { Tensor, type TensorLike } from "../tensor/tensor.js";
import { allocate } from "../tensor/dtype.js";
import { Workspace } from "../backend/workspace.js";
import { getBackend } from "../backend/registry.js";
import { uniqueName } from "../utils/naming.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { checkPositiveInteger } from "../utils/validate.js";
import { type LossSpec, type LossWeightsSpec, type MetricsSpec, type OutputTarget, resolveTargets, validateCompileSpecs } from "./compile.js";
import { ArraySource, type Batch, type BatchIterable, type BatchSource, IterableSource, isBatchIterable } from "./batches.js";
import { checkListSampleCounts, type ModelData, resolveVerbose, sliceRows, toBatchTensor, toTensorList } from "./data.js";
import { FunctionalGraph, type TensorStructure, isPlainRecord } from "./functional.js";
import { functionalConfig, rebuildGraph } from "./functional-config.js";
import { printSummary, type SummaryOptions } from "./summary.js";

export interface CompileOptions {
  /** An optimizer object or Keras name ("adam", "sgd"); "rmsprop" when omitted, as in Keras. */
  optimizer?: optimizers.OptimizerIdentifier;
  /**
   * A loss object or Keras name ("categorical_crossentropy", "mse", …). A
   * model with several outputs takes one loss for all of them, an array with
   * one per output (null for none), or a record by output name.
   */
  loss: LossSpec;
  /** Weights of the per-output losses in the total loss: an array in output order or a record by output name. */
  lossWeights?: LossWeightsSpec;
  /**
   * Metric names or objects; "accuracy" and "acc" pick the right accuracy
   * from the data's shapes. With several outputs: one entry per output (a
   * metric or an array of them) or a record by output name.
   */
  metrics?: MetricsSpec;
  /** Metrics that weigh each sample by `sampleWeight` or `classWeight`, in the same forms as `metrics`. */
  weightedMetrics?: MetricsSpec;
}

export type Verbose = 0 | 1 | 2 | "auto";

/**
 * Per-sample weights: one array of shape [n] (or [n, steps]) for every
 * output, or a record by output name.
 */
export type SampleWeightData = TensorLike | Record<string, TensorLike>;

export interface FitOptions {
  /** Samples per gradient step; the last batch of an epoch may be smaller. Default 32. Not used with an iterable of batches. */
  batchSize?: number;
  /** Index of the epoch to stop before: training runs epochs `initialEpoch` to `epochs - 1`. Default 1. */
  epochs?: number;
  verbose?: Verbose;
  callbacks?: Callback[];
  /** Fraction of the samples, taken from the end before any shuffling, held out for validation. */
  validationSplit?: number;
  /** `[x, y]`, `[x, y, sampleWeight]` or an iterable of batches to evaluate after each epoch; overrides `validationSplit`. */
  validationData?: [ModelData, ModelData] | [ModelData, ModelData, SampleWeightData] | BatchIterable;
  /** Reshuffle all training samples before every pass (true, the default), shuffle within batch-sized chunks only ("batch"), or not at all. */
  shuffle?: boolean | "batch";
  /** Weights of the samples in the loss and in `weightedMetrics`. */
  sampleWeight?: SampleWeightData;
  /** A weight per class index, turned into sample weights from the labels; one output only, and not with `sampleWeight`. */
  classWeight?: Record<number, number>;
  /** Batches per epoch. With arrays, a pass over the data then continues in the next epoch. */
  stepsPerEpoch?: number;
  /** Batches of validation data per evaluation; default all of it. */
  validationSteps?: number;
  /** Batch size of the validation arrays; default `batchSize`. */
  validationBatchSize?: number;
  /** Validate every n-th epoch (a number), or after the listed 1-based epochs (an array). Default 1. */
  validationFreq?: number | number[];
  /** Epoch to start from, for resuming a run. Default 0. */
  initialEpoch?: number;
  /** Accept NaN and infinite values in `x`, `y` and the sample weights. Default false: they are an error naming where they are. */
  allowNonFinite?: boolean;
}

export interface EvaluateOptions {
  batchSize?: number;
  verbose?: Verbose;
  callbacks?: Callback[];
  /** Resolve to `{ loss, <metric>: value }` instead of an array. */
  returnDict?: boolean;
  /** Weights of the samples in the loss and in `weightedMetrics`. */
  sampleWeight?: SampleWeightData;
  /** Number of batches to evaluate; default all of them. */
  steps?: number;
  /** Accept NaN and infinite values in the data. Default false. */
  allowNonFinite?: boolean;
}

export interface PredictOptions {
  batchSize?: number;
  verbose?: Verbose;
  /** Number of batches to predict; default all of them. */
  steps?: number;
  /** Accept NaN and infinite values in `x`. Default false. */
  allowNonFinite?: boolean;
}

/** The result of `predict`: one Tensor per output, in the structure the model's outputs were given. */
export type PredictOutput = Tensor | Tensor[] | Record<string, Tensor>;

export interface ModelOptions {
  /** The model's inputs: what `Input(...)` returned, an array of those, or a record of them by name. */
  inputs?: TensorStructure;
  /** The model's outputs: symbolic tensors computed from `inputs`, in the same forms. */
  outputs?: TensorStructure;
  name?: string;
  trainable?: boolean;
}

const MODEL_OPTIONS = ["inputs", "outputs", "name", "trainable"];
const COMPILE_OPTIONS = ["optimizer", "loss", "lossWeights", "metrics", "weightedMetrics"];
const FIT_OPTIONS = [
  "batchSize",
  "epochs",
  "verbose",
  "callbacks",
  "validationSplit",
  "validationData",
  "shuffle",
  "sampleWeight",
  "classWeight",
  "stepsPerEpoch",
  "validationSteps",
  "validationBatchSize",
  "validationFreq",
  "initialEpoch",
  "allowNonFinite",
];
const EVALUATE_OPTIONS = ["batchSize", "verbose", "callbacks", "returnDict", "sampleWeight", "steps", "allowNonFinite"];
const PREDICT_OPTIONS = ["batchSize", "verbose", "steps", "allowNonFinite"];

/** A metric with the log key it reports under (prefixed by the output name when there are several outputs). */
interface TrackedMetric {
  metric: metrics.Metric;
  key: string;
  /** Index of the output the metric watches. */
  output: number;
  /** True for `weightedMetrics`, which receive the sample weights. */
  weighted: boolean;
}

interface ResolvedTargets {
  targets: OutputTarget[];
  /** Per-output loss trackers, present only when more than one output has a loss. */
  outputLossTrackers: (metrics.Mean | null)[] | null;
  /** Created at the first batch, when the shapes that resolve "accuracy" are known. */
  metricObjects: TrackedMetric[] | null;
}

interface CompiledState {
  optimizer: optimizers.Optimizer;
  loss: LossSpec;
  lossWeights: LossWeightsSpec | undefined;
  metrics: MetricsSpec | undefined;
  weightedMetrics: MetricsSpec | undefined;
  /** Resolved once the number of outputs is known: at compile time for declared graphs, else at the first batch. */
  resolved: ResolvedTargets | null;
  lossTracker: metrics.Mean;
}

/**
 * A model: layers plus training.
 *
 * Three ways to make one, as in Keras:
 * - functional: `new Model({ inputs, outputs })`, where the outputs were
 *   computed by calling layers on the symbolic tensors `Input` returns;
 * - subclassing: extend `Model`, create layers in the constructor (fields
 *   holding layers are found automatically) and override `call`;
 * - `Sequential`, a subclass for plain stacks.
 * All share `compile`, `fit`, `evaluate`, `predict` and `summary`.
 */
export class Model extends Layer {
  /** Set to true (for example from a callback) to stop `fit` after the current batch. */
  stopTraining = false;
  /**
   * Set by a callback's `onTrainBegin` (BackupAndRestore does) to make `fit`
   * start at this epoch instead of `initialEpoch`; `fit` clears it.
   */
  resumeEpoch: number | null = null;
  history: History | null = null;
  /** The layer graph of a functional model, or null for Sequential and subclassed models. */
  readonly graph: FunctionalGraph | null;
  private compiled: CompiledState | null = null;
  /** Buffers reused across training steps, and separately across test steps, which have other shapes. */
  private readonly trainWorkspace = new Workspace();
  private readonly testWorkspace = new Workspace();
  /** Buffers reused across `predictOnBatch` calls. Each call returns copies of its outputs. */
  private readonly predictWorkspace = new Workspace();
  /** The `addLoss` count when this model last cleared its layers' losses. */
  private lossCountAfterClear = -1;

  constructor(options: ModelOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new ValueError("Model takes an options object such as { inputs, outputs, name }.");
    }
    checkOptionKeys(options, MODEL_OPTIONS, "Model", (m) => new ValueError(m));
    const functional = options.inputs !== undefined || options.outputs !== undefined;
    super(
      { name: options.name ?? (functional ? uniqueName("functional") : undefined), trainable: options.trainable },
      ["name", "trainable"],
    );
    if (functional) {
      if (options.inputs === undefined || options.outputs === undefined) {
        throw new ValueError("A functional Model needs both `inputs` and `outputs`, for example new Model({ inputs, outputs }).");
      }
      this.graph = new FunctionalGraph(options.inputs, options.outputs);
      const inputShapes = this.graph.inputs.tensors.map((t) => [...t.shape]);
      this.buildInputShape = inputShapes.length === 1 ? inputShapes[0]! : inputShapes;
      this.built = true;
    } else {
      this.graph = null;
      if (new.target === Model) {
        throw new ValueError(
          "new Model() needs `inputs` and `outputs` (the functional API), or a subclass of Model that overrides call().",
        );
      }
    }
  }

  override get className(): string {
    return this.graph ? "Functional" : this.constructor.name;
  }

  /**
   * The model's layers. A functional model lists its InputLayers too, in
   * Keras's graph order. A subclassed model lists the layers in its fields
   * (or in arrays in its fields), in the order the fields were assigned.
   */
  get layers(): Layer[] {
    if (this.graph) return [...this.graph.layers];
    const found: Layer[] = [];
    for (const value of Object.values(this)) {
      const candidates = Array.isArray(value) ? value : [value];
      for (const candidate of candidates) {
        if (candidate instanceof Layer && candidate !== this && !found.includes(candidate)) found.push(candidate);
      }
    }
    return found;
  }

  /** The declared input shape with the batch axis (the first input's for several), or null while it is unknown. */
  get inputShape(): SymbolicShape | null {
    if (this.graph) return [...this.graph.inputs.tensors[0]!.shape];
    const shape = this.buildInputShape;
    if (shape === null) return null;
    return isShapeList(shape) ? [...shape[0]!] : [...shape];
  }

  /** Names that data and labels may be keyed by, or null when the model's inputs are not declared. */
  get inputNames(): string[] | null {
    return this.graph ? this.graph.inputNames : null;
  }

  /** Names of the outputs, which key labels, losses, metrics and log entries; null when not known before the first call. */
  get outputNames(): string[] | null {
    return this.graph ? this.graph.outputNames : null;
  }

  /**
   * Builds a subclassed model for inputs of `inputShape` (batch axis
   * included) by calling it once on zeros. Functional models are built when
   * they are made.
   */
  override build(inputShape: LayerShape): void {
    if (this.graph || this.built) return;
    const shapes = isShapeList(inputShape) ? inputShape : [inputShape];
    const zeros = shapes.map((shape) => {
      const concrete = shape.map((d) => d ?? 1);
      return new Tensor(allocate(this.dtype, concrete.reduce((a, b) => a * b, 1)), concrete);
    });
    noGrad(() => this.call(zeros.length === 1 ? zeros[0]! : zeros, { training: false }));
    this.buildInputShape = isShapeList(inputShape) ? inputShape.map((s) => [...s]) : [...inputShape];
    this.built = true;
  }

  /** Builds the model for data of the given shapes (batch axis included), if it is not built yet. */
  protected buildForData(shapes: readonly (readonly number[])[]): void {
    if (this.built) return;
    const symbolic = shapes.map((shape) => [null, ...shape.slice(1)]);
    this.build(symbolic.length === 1 ? symbolic[0]! : symbolic);
  }

  /** Checks that data of `shape` fits input `index`; throws a ShapeError naming `argument` otherwise. */
  protected checkDataShape(shape: readonly number[], argument: string, index: number): void {
    const expected = this.graph?.inputs.tensors[index]?.shape;
    if (!expected) return;
    checkShapeFits(expected, shape, `Model "${this.name}"${this.graph!.inputs.tensors.length > 1 ? ` input "${this.graph!.inputNames[index]}"` : ""}`, argument);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    if (this.graph) {
      const shapes = this.graph.outputs.tensors.map((t) => [...t.shape]);
      return this.graph.outputs.single ? shapes[0]! : shapes;
    }
    return super.computeOutputShape(inputShape);
  }

  /**
   * Returns the model's config with Keras's keys. A functional model lists
   * its layers with the calls that connect them; a subclassed model returns
   * the base layer keys only unless it overrides this.
   */
  override getConfig(): Record<string, unknown> {
    if (!this.graph) return super.getConfig();
    return { name: this.name, trainable: this.trainable, ...functionalConfig(this.graph) };
  }

  /** Rebuilds a functional model (without its weights) from the output of `getConfig()`. */
  static fromConfig(config: Record<string, unknown>): Model {
    const { inputs, outputs } = rebuildGraph(config);
    return new Model({
      inputs: inputs as TensorStructure,
      outputs: outputs as TensorStructure,
      name: typeof config["name"] === "string" ? config["name"] : undefined,
      trainable: typeof config["trainable"] === "boolean" ? config["trainable"] : undefined,
    });
  }

  /**
   * Returns "min" or "max" for a log key (with or without `val_`): the loss
   * and per-output losses go down, and a compiled metric goes the way it
   * improves. Returns null for a key no compiled quantity reports under.
   */
  metricDirection(key: string): "min" | "max" | null {
    const name = key.startsWith("val_") ? key.slice(4) : key;
    const resolved = this.compiled?.resolved;
    if (name === "loss" || resolved?.targets.some((t) => `${t.name}_loss` === name)) return "min";
    const tracked = resolved?.metricObjects?.find((m) => m.key === name);
    if (!tracked || tracked.metric.higherIsBetter === null) return null;
    return tracked.metric.higherIsBetter ? "max" : "min";
  }

  get optimizer(): optimizers.Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /** The arguments of the last `compile` (with the optimizer object it resolved to), or null before it. */
  get compileArguments(): Readonly<CompileOptions & { optimizer: optimizers.Optimizer }> | null {
    const state = this.compiled;
    if (!state) return null;
    return {
      optimizer: state.optimizer,
      loss: state.loss,
      lossWeights: state.lossWeights,
      metrics: state.metrics,
      weightedMetrics: state.weightedMetrics,
    };
  }

  /** Saves the model as a Keras 3 `.keras` file, writing a temporary file first and renaming it. */
  async save(path: string): Promise<void> {
    const { saveModel } = await import("../io/saving.js");
    await saveModel(this, path);
  }

  /** Saves the weights and the optimizer state as a Keras 3 `.weights.h5` file. */
  async saveWeights(path: string): Promise<void> {
    const saving = await import("../io/saving.js");
    await saving.saveWeights(this, path);
  }

  /** Loads weights (and optimizer state, when present) from a `.weights.h5` or legacy HDF5 file, given as a path or bytes. */
  async loadWeights(source: string | Uint8Array): Promise<void> {
    const saving = await import("../io/saving.js");
    await saving.loadWeights(this, source);
  }

  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** Configures training: the optimizer, the loss (per output, with weights) and the metrics to report. */
  compile(options: CompileOptions): void {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError('compile needs an options object such as { optimizer: "adam", loss: "categorical_crossentropy" }.');
    }
    checkOptionKeys(options, COMPILE_OPTIONS, "compile", (m) => new ValueError(m));
    validateCompileSpecs(options.loss, options.lossWeights, options.metrics, options.weightedMetrics);
    const state: CompiledState = {
      // Keras's default optimizer is RMSprop with its default options.
      optimizer: optimizers.get(options.optimizer ?? "rmsprop"),
      loss: options.loss,
      lossWeights: options.lossWeights,
      metrics: options.metrics,
      weightedMetrics: options.weightedMetrics,
      resolved: null,
      lossTracker: new metrics.Mean({ name: "loss" }),
    };
    const outputNames = this.outputNames;
    if (outputNames) this.resolveTargets(state, outputNames);
    this.compiled = state;
  }

  private resolveTargets(state: CompiledState, outputNames: readonly string[]): ResolvedTargets {
    const targets = resolveTargets(outputNames, state.loss, state.lossWeights, state.metrics, state.weightedMetrics);
    const withLoss = targets.filter((t) => t.loss !== null).length;
    state.resolved = {
      targets,
      outputLossTrackers: withLoss > 1 ? targets.map((t) => outputLossTracker(t)) : null,
      metricObjects: null,
    };
    return state.resolved;
  }

  /** Returns the compile targets, resolving them against `outputCount` outputs when the model did not declare its outputs. */
  private targetsFor(state: CompiledState, outputCount: number): ResolvedTargets {
    if (state.resolved) {
      if (state.resolved.targets.length !== outputCount) {
        throw new ValueError(
          `Model "${this.name}" returned ${outputCount} outputs, but it was compiled for ${state.resolved.targets.length}.`,
        );
      }
      return state.resolved;
    }
    const names = this.outputNames ?? (outputCount === 1 ? ["output"] : Array.from({ length: outputCount }, (_, i) => `output_${i + 1}`));
    return this.resolveTargets(state, names);
  }

  private requireCompiled(method: string): CompiledState {
    if (!this.compiled) {
      throw new ValueError(
        `The model must be compiled before ${method}. Call model.compile({ optimizer, loss, metrics }) first.`,
      );
    }
    return this.compiled;
  }

  /**
   * Runs the model on a batch; the tape records it when gradients are being
   * taken. A functional model runs its graph; subclasses override this.
   */
  call(inputs: Tensor | Tensor[], options: CallOptions = {}): Tensor | Tensor[] {
    if (!this.graph) {
      throw new ValueError(`Model "${this.name}" (${this.className}) must override call(inputs, options).`);
    }
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.graph.inputs.tensors.length) {
      throw new ValueError(
        `Model "${this.name}" has ${this.graph.inputs.tensors.length} inputs, but was called on ${list.length} tensors.`,
      );
    }
    const outputs = this.graph.run(list, options);
    return this.graph.outputs.single ? outputs[0]! : outputs;
  }

  /** Calls the model on a list of inputs and returns its outputs as a list. */
  private forward(xs: Tensor[], training: boolean): Tensor[] {
    const result = this.call(xs.length === 1 && !this.takesInputList ? xs[0]! : xs, { training });
    return Array.isArray(result) ? result : [result];
  }

  /** Runs the model for prediction and drops the losses layers added meanwhile, which no loss will collect. */
  private inferenceForward(xs: Tensor[]): Tensor[] {
    const before = addedLossCount();
    const outputs = this.forward(xs, false);
    if (addedLossCount() !== before) {
      clearLayerLosses(this);
      this.lossCountAfterClear = addedLossCount();
    }
    return outputs;
  }

  /** True when `call` receives an array even for one input (a functional model declared with an array of inputs). */
  private get takesInputList(): boolean {
    return this.graph !== null && !this.graph.inputs.single;
  }

  /** Converts and checks `x`, and builds the model for it. */
  private prepareInputs(x: unknown, argument = "x"): Tensor[] {
    const names = this.inputNames ?? (this.inputShape ? ["input"] : null);
    const tensors = toTensorList(x, names, argument, this.dtype);
    tensors.forEach((t, i) => this.checkDataShape(t.shape, tensors.length === 1 ? argument : `${argument}[${i}]`, i));
    this.buildForData(tensors.map((t) => t.shape));
    return tensors;
  }

  private prepareLabels(y: unknown, argument = "y"): Tensor[] {
    return toTensorList(y, this.outputNames, argument, this.dtype);
  }

  /**
   * Creates the metric objects at the first batch, when the shapes that
   * resolve "accuracy" are known. Log keys follow Keras: the output name
   * comes first when there are several outputs, a weighted metric whose name
   * is taken gets a `weighted_` prefix, and other duplicates get `_1`, `_2`.
   */
  private metricObjects(resolved: ResolvedTargets, ys: Tensor[], preds: Tensor[]): TrackedMetric[] {
    if (resolved.metricObjects) return resolved.metricObjects;
    const tracked: TrackedMetric[] = [];
    const used = new Set<string>(["loss", ...resolved.targets.map((t) => `${t.name}_loss`)]);
    const prefix = resolved.targets.length > 1;
    const claim = (base: string): string => {
      let key = base;
      for (let k = 1; used.has(key); k++) key = `${base}_${k}`;
      used.add(key);
      return key;
    };
    resolved.targets.forEach((target, output) => {
      for (const identifier of target.metricIdentifiers) {
        const metric = metrics.get(identifier, ys[output]!, preds[output]!);
        tracked.push({ metric, key: claim(prefix ? `${target.name}_${metric.name}` : metric.name), output, weighted: false });
      }
    });
    resolved.targets.forEach((target, output) => {
      for (const identifier of target.weightedMetricIdentifiers) {
        const metric = metrics.get(identifier, ys[output]!, preds[output]!);
        let base = prefix ? `${target.name}_${metric.name}` : metric.name;
        if (used.has(base)) base = prefix ? `${target.name}_weighted_${metric.name}` : `weighted_${metric.name}`;
        tracked.push({ metric, key: claim(base), output, weighted: true });
      }
    });
    resolved.metricObjects = tracked;
    return tracked;
  }

  private resetMetrics(state: CompiledState): void {
    state.lossTracker.resetState();
    state.resolved?.outputLossTrackers?.forEach((t) => t?.resetState());
    state.resolved?.metricObjects?.forEach((m) => m.metric.resetState());
  }

  /** Returns the running values in Keras's key order: metric and loss keys sorted alphabetically. */
  private currentLogs(state: CompiledState): Logs {
    const entries: [string, number][] = [[state.lossTracker.name, state.lossTracker.result()]];
    for (const tracker of state.resolved?.outputLossTrackers ?? []) if (tracker) entries.push([tracker.name, tracker.result()]);
    for (const { metric, key } of state.resolved?.metricObjects ?? []) entries.push([key, metric.result()]);
    // Python's sorted() compares code points, so "ACC" sorts before "acc" and "val_a" before "vala".
    entries.sort(([a], [b]) => {
      if (a === b) return 0;
      return a < b ? -1 : 1;
    });
    return Object.fromEntries(entries);
  }

  /**
   * Computes the weighted total loss of a batch, and records each output's
   * loss tensor in `perOutput`. Runs on the tape during training.
   */
  private totalLoss(
    resolved: ResolvedTargets,
    ys: Tensor[],
    preds: Tensor[],
    weights: (Tensor | null)[] | null,
    perOutput: (Tensor | null)[],
    trainable: readonly Variable[],
  ): Tensor {
    let total = this.outputLosses(resolved, ys, preds, weights, perOutput);
    // Penalties of trainable weights count in the training and the evaluation loss alike, as in Keras.
    for (const variable of trainable) {
      if (variable.regularizer !== null) total = ops.add(total, variable.regularizer(variable.value));
    }
    return total;
  }

  /** Sums each output's weighted loss, recording the unweighted ones in `perOutput`. */
  private outputLosses(
    resolved: ResolvedTargets,
    ys: Tensor[],
    preds: Tensor[],
    weights: (Tensor | null)[] | null,
    perOutput: (Tensor | null)[],
  ): Tensor {
    let total: Tensor | null = null;
    resolved.targets.forEach((target, i) => {
      if (!target.loss) {
        perOutput[i] = null;
        return;
      }
      const value = target.loss.compute(ys[i]!, preds[i]!, weights?.[i] ?? undefined);
      perOutput[i] = value;
      const weighted = target.weight === 1 ? value : ops.affine(value, target.weight, 0);
      total = total === null ? weighted : ops.add(total, weighted);
    });
    return total!;
  }

  private updateTrackers(
    state: CompiledState,
    resolved: ResolvedTargets,
    total: number,
    perOutput: (Tensor | null)[],
    batch: Batch,
    preds: Tensor[],
  ): void {
    const samples = batch.xs[0]!.shape[0]!;
    state.lossTracker.update(total, samples);
    resolved.outputLossTrackers?.forEach((tracker, i) => tracker?.update(perOutput[i]!.item(), samples));
    for (const { metric, output, weighted } of this.metricObjects(resolved, batch.ys, preds)) {
      const weight = weighted ? (batch.weights?.[output] ?? undefined) : undefined;
      metric.updateState(batch.ys[output]!, preds[output]!, weight);
    }
  }

  /**
   * Clears losses that layers added outside a step (when any were added
   * since the last clear) and returns the `addLoss` count before the step.
   */
  private clearStaleLayerLosses(): number {
    if (addedLossCount() !== this.lossCountAfterClear) {
      clearLayerLosses(this);
      this.lossCountAfterClear = addedLossCount();
    }
    return addedLossCount();
  }

  /** Adds the losses layers added during the step (activity penalties) to `total`, as Keras reports them in `loss`. */
  private withLayerLosses(total: Tensor, countBefore: number): Tensor {
    if (addedLossCount() === countBefore) return total;
    const result = addLayerLosses(total, this);
    clearLayerLosses(this);
    this.lossCountAfterClear = addedLossCount();
    return result;
  }

  /** Runs one training step; call it inside `trainWorkspace.run`, since its buffers are reused by the next step. */
  private trainStep(state: CompiledState, batch: Batch): void {
    const variables = this.trainableWeights;
    let preds: Tensor[] = [];
    let resolved: ResolvedTargets | null = null;
    const perOutput: (Tensor | null)[] = [];
    // With a loss scale the tape differentiates the scaled loss, and applyGradients divides the scale back out.
    const scale = state.optimizer.lossScaleFactor;
    let total: Tensor | null = null;
    const { gradients } = valueAndGradients(() => {
      const lossCount = this.clearStaleLayerLosses();
      preds = this.forward(batch.xs, true);
      resolved = this.targetsFor(state, preds.length);
      checkLabelCount(batch.ys, preds, resolved);
      total = this.withLayerLosses(this.totalLoss(resolved, batch.ys, preds, batch.weights, perOutput, variables), lossCount);
      return scale === null || scale === undefined ? total : ops.affine(total, scale, 0);
    }, variables.map((v) => v.value));
    if (variables.length > 0) state.optimizer.applyGradients(gradients, variables);
    this.updateTrackers(state, resolved!, total!.item(), perOutput, batch, preds);
  }

  private testStep(state: CompiledState, batch: Batch): void {
    const lossCount = this.clearStaleLayerLosses();
    const preds = this.forward(batch.xs, false);
    const resolved = this.targetsFor(state, preds.length);
    checkLabelCount(batch.ys, preds, resolved);
    const perOutput: (Tensor | null)[] = [];
    const total = this.withLayerLosses(this.totalLoss(resolved, batch.ys, preds, batch.weights, perOutput, this.trainableWeights), lossCount);
    this.updateTrackers(state, resolved, total.item(), perOutput, batch, preds);
  }

  /**
   * Trains the model and resolves to a History whose `history` maps each log
   * key to its value per epoch. `x` and `y` are arrays (with several inputs
   * or outputs, arrays in order or records by name), or `x` is an iterable
   * of `[x, y]` or `[x, y, sampleWeight]` batches and `y` is left out.
   */
  async fit(x: ModelData | BatchIterable, y?: ModelData | null, options: FitOptions = {}): Promise<History> {
    checkOptionKeys(options, FIT_OPTIONS, "fit", (m) => new ValueError(m));
    const state = this.requireCompiled("fit");
    const epochs = checkPositiveInteger(options.epochs ?? 1, "epochs", "fit");
    const initialEpoch = checkNonNegativeInteger(options.initialEpoch ?? 0, "initialEpoch", "fit");
    const verbose = resolveVerbose(options.verbose, "fit");
    const shuffle = options.shuffle ?? true;
    if (shuffle !== true && shuffle !== false && shuffle !== "batch") {
      throw new ValueError(`Invalid \`shuffle\` for fit: expected true, false or "batch", received ${JSON.stringify(shuffle)}.`);
    }
    const stepsPerEpoch = optionalPositiveInteger(options.stepsPerEpoch, "stepsPerEpoch", "fit");
    const validationSteps = optionalPositiveInteger(options.validationSteps, "validationSteps", "fit");
    const validationFreq = checkValidationFreq(options.validationFreq);
    if (options.classWeight !== undefined && options.sampleWeight !== undefined) {
      throw new ValueError("fit received both `classWeight` and `sampleWeight`. Pass one of them: fold the class weights into the sample weights.");
    }

    let source: BatchSource;
    let validation: BatchSource | null = null;
    if (isBatchIterable(x)) {
      checkNoLabels(y, "fit");
      for (const option of ["batchSize", "sampleWeight", "classWeight", "validationSplit"] as const) {
        if (options[option] !== undefined) {
          throw new ValueError(`fit received \`${option}\` with an iterable of batches, which sets its own batches and weights. Remove \`${option}\`.`);
        }
      }
      source = this.iterableSource(x, stepsPerEpoch, false, "fit");
    } else {
      const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "fit");
      let xAll = this.prepareInputs(x);
      let yAll = this.prepareLabels(requireLabels(y, "fit"));
      checkListSampleCounts(xAll, yAll);
      let weights = this.prepareSampleWeights(options.sampleWeight, yAll, xAll[0]!.shape[0]!, "sampleWeight");
      if (options.classWeight !== undefined) weights = classWeightsToSampleWeights(options.classWeight, yAll);
      this.checkArrays(state, xAll, yAll, weights, options.allowNonFinite ?? false, "fit");
      if (options.validationData === undefined && options.validationSplit !== undefined && options.validationSplit !== 0) {
        const split = splitValidation(xAll, yAll, weights, options.validationSplit);
        [xAll, yAll, weights] = split.train;
        const [xVal, yVal, wVal] = split.validation;
        validation = new ArraySource(xVal, yVal, wVal, {
          batchSize: options.validationBatchSize ?? batchSize,
          shuffle: false,
          steps: validationSteps,
        });
      }
      source = new ArraySource(xAll, yAll, weights, { batchSize, shuffle, steps: stepsPerEpoch });
      if (options.validationData !== undefined) {
        validation = this.validationSource(options.validationData, options.validationBatchSize ?? batchSize, validationSteps);
      }
    }
    if (validation === null && options.validationData !== undefined) {
      validation = this.validationSource(options.validationData, options.validationBatchSize ?? 32, validationSteps);
    }

    const history = new History();
    const callbacks: Callback[] = [...checkCallbacks(options.callbacks, "fit"), history];
    if (verbose !== 0) callbacks.push(new ProgbarLogger());
    const params = { verbose, epochs, steps: source.steps };
    for (const callback of callbacks) {
      callback.setModel(this);
      callback.setParams(params);
    }
    this.history = history;
    this.stopTraining = false;

    let epochLogs: Logs = {};
    this.resumeEpoch = null;
    await callHook(callbacks, "onTrainBegin");
    const firstEpoch = this.resumeEpoch ?? initialEpoch;
    this.resumeEpoch = null;
    for (let epoch = firstEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      this.resetMetrics(state);
      await callHook(callbacks, "onEpochBegin", epoch);
      const next = source.startEpoch();
      // Only callbacks that override a batch hook are called per batch, so a fit without them builds no logs per step.
      const batchBegin = callbacksWithHook(callbacks, "onTrainBatchBegin");
      const batchEnd = callbacksWithHook(callbacks, "onTrainBatchEnd");
      let stepsRun = 0;
      // Array batches are cut inside the workspace; an iterable's batch is read before the step starts.
      const arrays = source instanceof ArraySource;
      for (let step = 0; !arrays || step < source.steps!; step++) {
        const pending = arrays ? null : await next();
        if (source.exhausted) {
          this.stopTraining = true;
          break;
        }
        if (!arrays && pending === null) break;
        if (batchBegin.length > 0) await callHook(batchBegin, "onTrainBatchBegin", step);
        this.trainWorkspace.run(() => this.trainStep(state, pending ?? (next() as Batch)));
        stepsRun++;
        if (batchEnd.length > 0) await callHook(batchEnd, "onTrainBatchEnd", step, this.currentLogs(state));
        if (this.stopTraining) break;
      }
      params.steps = source.steps;
      epochLogs = stepsRun > 0 ? this.currentLogs(state) : {};
      if (validation && validationFreq(epoch)) {
        const valLogs = await this.runTest(state, validation, callbacks);
        for (const [key, value] of Object.entries(valLogs)) epochLogs[`val_${key}`] = value;
      }
      await callHook(callbacks, "onEpochEnd", epoch, epochLogs);
    }
    // Keras copies the optimizer's moving averages into the weights once training ends.
    if (epochs > firstEpoch) state.optimizer.finalizeVariableValues();
    await callHook(callbacks, "onTrainEnd", epochLogs);
    return history;
  }

  private iterableSource(x: BatchIterable, steps: number | null, inputsOnly: boolean, method: string): IterableSource {
    return new IterableSource(x, {
      inputNames: this.inputNames ?? (this.inputShape ? ["input"] : null),
      outputNames: this.outputNames,
      dtype: this.dtype,
      steps,
      inputsOnly,
      method,
    });
  }

  private validationSource(data: FitOptions["validationData"], batchSize: number, steps: number | null): BatchSource {
    if (isBatchIterable(data)) return this.iterableSource(data, steps, false, "fit (validationData)");
    const entries = data as unknown;
    if (!Array.isArray(entries) || (entries.length !== 2 && entries.length !== 3)) {
      throw new ValueError("Invalid `validationData`: expected [xVal, yVal], [xVal, yVal, sampleWeight] or an iterable of batches.");
    }
    const xVal = this.prepareInputs(entries[0], "validationData[0]");
    const yVal = this.prepareLabels(entries[1], "validationData[1]");
    const n = checkListSampleCounts(xVal, yVal, "validationData[0]", "validationData[1]");
    const weights = this.prepareSampleWeights(entries[2] as SampleWeightData | undefined, yVal, n, "validationData[2]");
    this.checkArrays(this.compiled!, xVal, yVal, weights, false, "fit", ["validationData[0]", "validationData[1]", "validationData[2]"]);
    return new ArraySource(xVal, yVal, weights, { batchSize, shuffle: false, steps });
  }

  /**
   * Checks array data before any step runs: no NaN or infinite values
   * (unless allowed), and class labels inside the output's classes for
   * outputs trained with sparse categorical crossentropy.
   */
  private checkArrays(
    state: CompiledState,
    xs: Tensor[],
    ys: Tensor[],
    weights: (Tensor | null)[] | null,
    allowNonFinite: boolean,
    method: string,
    names: [string, string, string] = ["x", "y", "sampleWeight"],
  ): void {
    const label = (base: string, list: readonly unknown[], i: number) => (list.length === 1 ? base : `${base}[${i}]`);
    if (!allowNonFinite) {
      xs.forEach((t, i) => checkFinite(t, label(names[0], xs, i), method));
      ys.forEach((t, i) => checkFinite(t, label(names[1], ys, i), method));
      weights?.forEach((t, i) => t && checkFinite(t, label(names[2], weights, i), method));
    }
    const outputShapes = this.declaredOutputShapes();
    const targets = state.resolved?.targets;
    if (!outputShapes || !targets) return;
    targets.forEach((target, i) => {
      const loss = target.loss;
      const classes = outputShapes[i]?.[outputShapes[i]!.length - 1];
      if (!(loss instanceof losses.SparseCategoricalCrossentropy) || typeof classes !== "number" || ys[i] === undefined) return;
      checkClassLabels(ys[i]!, classes, loss.ignoreClass, label(names[1], ys, i), target.name);
    });
  }

  /** Returns the output shapes a Sequential or functional model declares, or null when they are not known before a call. */
  private declaredOutputShapes(): SymbolicShape[] | null {
    if (this.graph) return this.graph.outputs.tensors.map((t) => t.shape);
    if (this.className !== "Sequential" || !this.built || !this.inputShape) return null;
    const shape = this.computeOutputShape(this.inputShape);
    return isShapeList(shape) ? shape : [shape];
  }

  /** Converts `sampleWeight` to one weight tensor per output (null for none), checking its sample count. */
  private prepareSampleWeights(sampleWeight: SampleWeightData | undefined, ys: Tensor[], samples: number, argument: string): (Tensor | null)[] | null {
    if (sampleWeight === undefined || sampleWeight === null) return null;
    const names = this.outputNames ?? ys.map((_, i) => `output_${i + 1}`);
    let perOutput: (Tensor | null)[];
    if (isPlainRecord(sampleWeight)) {
      for (const key of Object.keys(sampleWeight)) {
        if (!names.includes(key)) {
          throw new ValueError(`\`${argument}\` has "${key}", but the model has no output of that name. Outputs: ${names.map((n) => `"${n}"`).join(", ")}.`);
        }
      }
      perOutput = names.map((name) => {
        const value = (sampleWeight as Record<string, TensorLike>)[name];
        return value === undefined ? null : toBatchTensor(value, `${argument}.${name}`, this.dtype);
      });
    } else {
      const shared = toBatchTensor(sampleWeight as TensorLike, argument, this.dtype);
      perOutput = ys.map(() => shared);
    }
    perOutput.forEach((w, i) => {
      if (!w) return;
      if (w.shape[0] !== samples || w.rank > 2) {
        throw new ShapeError(
          `\`${argument}\` must have one weight per sample, shape (${samples},) or (${samples}, steps), but it has shape ${formatShape(w.shape)}` +
            `${perOutput.length > 1 ? ` for output "${names[i]}"` : ""}.`,
        );
      }
    });
    return perOutput;
  }

  private async runTest(state: CompiledState, source: BatchSource, callbacks: Callback[]): Promise<Logs> {
    this.resetMetrics(state);
    await callHook(callbacks, "onTestBegin");
    const next = source.startEpoch();
    let logs: Logs = {};
    const arrays = source instanceof ArraySource;
    for (let step = 0; !arrays || step < source.steps!; step++) {
      const pending = arrays ? null : await next();
      if (!arrays && pending === null) break;
      await callHook(callbacks, "onTestBatchBegin", step);
      this.testWorkspace.run(() => this.testStep(state, pending ?? (next() as Batch)));
      logs = this.currentLogs(state);
      await callHook(callbacks, "onTestBatchEnd", step, logs);
    }
    await callHook(callbacks, "onTestEnd", logs);
    return logs;
  }

  /**
   * Computes the loss and metrics without training, on arrays `x` and `y`
   * or on an iterable of batches (with `y` left out). Resolves to the loss
   * alone when nothing else is tracked, otherwise to an array: the total
   * loss, each output's loss (with several outputs), then the metrics in
   * compile order. With `returnDict`, resolves to a record by log key.
   */
  async evaluate(x: ModelData | BatchIterable, y?: ModelData | null, options: EvaluateOptions = {}): Promise<number | number[] | Logs> {
    checkOptionKeys(options, EVALUATE_OPTIONS, "evaluate", (m) => new ValueError(m));
    const state = this.requireCompiled("evaluate");
    const verbose = resolveVerbose(options.verbose, "evaluate");
    const steps = optionalPositiveInteger(options.steps, "steps", "evaluate");
    let source: BatchSource;
    if (isBatchIterable(x)) {
      checkNoLabels(y, "evaluate");
      source = this.iterableSource(x, steps, false, "evaluate");
    } else {
      const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "evaluate");
      const xAll = this.prepareInputs(x);
      const yAll = this.prepareLabels(requireLabels(y, "evaluate"));
      const n = checkListSampleCounts(xAll, yAll);
      const weights = this.prepareSampleWeights(options.sampleWeight, yAll, n, "sampleWeight");
      this.checkArrays(state, xAll, yAll, weights, options.allowNonFinite ?? false, "evaluate");
      source = new ArraySource(xAll, yAll, weights, { batchSize, shuffle: false, steps });
    }
    const callbacks: Callback[] = [...checkCallbacks(options.callbacks, "evaluate")];
    if (verbose !== 0) callbacks.push(new ProgbarLogger());
    for (const callback of callbacks) {
      callback.setModel(this);
      callback.setParams({ verbose, epochs: 1, steps: source.steps });
    }
    const logs = await this.runTest(state, source, callbacks);
    if (options.returnDict) return logs;
    return this.resultsInCompileOrder(state);
  }

  /**
   * Returns the model's outputs for `x`, computed in batches with training
   * off. One output gives a Tensor. Several give an array with a Tensor per
   * output, or a record when the outputs were declared as one.
   */
  predict(x: ModelData, options: PredictOptions = {}): PredictOutput {
    checkOptionKeys(options, PREDICT_OPTIONS, "predict", (m) => new ValueError(m));
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "predict");
    const verbose = resolveVerbose(options.verbose, "predict");
    const stepLimit = optionalPositiveInteger(options.steps, "steps", "predict");
    if (isBatchIterable(x)) {
      throw new ValueError("predict takes arrays; for an iterable of batches use predictBatches, which is asynchronous.");
    }
    const xAll = this.prepareInputs(x);
    const n = checkListSampleCounts(xAll, null);
    if (!options.allowNonFinite) xAll.forEach((t, i) => checkFinite(t, xAll.length === 1 ? "x" : `x[${i}]`, "predict"));
    const steps = Math.min(Math.ceil(n / batchSize), stepLimit ?? Infinity);
    const progbar = verbose === 0 ? null : new Progbar(steps, { verbose });
    const parts: Tensor[][] = [];
    for (let step = 0; step < steps; step++) {
      const end = Math.min(n, (step + 1) * batchSize);
      const outputs = this.inferenceForward(xAll.map((t) => sliceRows(t, step * batchSize, end)));
      outputs.forEach((output, i) => (parts[i] ??= []).push(output));
      progbar?.update(step + 1, {}, step + 1 === steps);
    }
    return this.structureOutputs(parts.map(concatRows));
  }

  /** Like `predict`, on an iterable (or async iterable) of input batches; resolves to the outputs of every batch joined. */
  async predictBatches(batches: BatchIterable, options: { steps?: number; verbose?: Verbose } = {}): Promise<PredictOutput> {
    checkOptionKeys(options, ["steps", "verbose"], "predictBatches", (m) => new ValueError(m));
    if (!isBatchIterable(batches)) {
      throw new ValueError("predictBatches needs an iterable of input batches, such as a generator; for arrays use predict.");
    }
    const verbose = resolveVerbose(options.verbose, "predictBatches");
    const source = this.iterableSource(batches, optionalPositiveInteger(options.steps, "steps", "predictBatches"), true, "predictBatches");
    const progbar = verbose === 0 ? null : new Progbar(source.steps, { verbose });
    const next = source.startEpoch();
    const parts: Tensor[][] = [];
    for (let step = 0; ; step++) {
      const batch = await next();
      if (batch === null) break;
      const outputs = this.inferenceForward(batch.xs.map((t, i) => this.checkedBatch(t, i)));
      outputs.forEach((output, i) => (parts[i] ??= []).push(output));
      progbar?.update(step + 1, {}, false);
    }
    if (parts.length === 0) throw new ValueError("predictBatches received no batches.");
    progbar?.update(parts[0]!.length, {}, true);
    return this.structureOutputs(parts.map(concatRows));
  }

  private checkedBatch(t: Tensor, index: number): Tensor {
    this.checkDataShape(t.shape, "x", index);
    return t;
  }

  /** Returns the model's outputs for one batch, with no batching and no progress bar. */
  predictOnBatch(x: ModelData, options: { allowNonFinite?: boolean } = {}): PredictOutput {
    const xs = this.prepareInputs(x);
    checkListSampleCounts(xs, null);
    if (!options.allowNonFinite) {
      for (let i = 0; i < xs.length; i++) checkFinite(xs[i]!, xs.length === 1 ? "x" : `x[${i}]`, "predictOnBatch");
    }
    // The next call overwrites the workspace's buffers, and an output may be one of them or an input, so the caller gets copies.
    const outputs = this.predictWorkspace.run(() => this.inferenceForward(xs));
    return this.structureOutputs(outputs.map((t) => new Tensor(t.data.slice(), t.shape)));
  }

  /** Arranges per-output tensors as the model's outputs were declared. */
  private structureOutputs(outputs: Tensor[]): PredictOutput {
    const keys = this.graph?.outputs.keys;
    if (keys) return Object.fromEntries(keys.map((k, i) => [k, outputs[i]!]));
    if (outputs.length === 1 && !(this.graph && !this.graph.outputs.single)) return outputs[0]!;
    return outputs;
  }

  /**
   * Runs one training step on one batch and returns that batch's loss and
   * metrics (not a running mean). `sampleWeight` and `classWeight` work as in `fit`.
   */
  trainOnBatch(
    x: ModelData,
    y: ModelData,
    options: { sampleWeight?: SampleWeightData; classWeight?: Record<number, number>; allowNonFinite?: boolean } = {},
  ): number | number[] {
    checkOptionKeys(options, ["sampleWeight", "classWeight", "allowNonFinite"], "trainOnBatch", (m) => new ValueError(m));
    const state = this.requireCompiled("trainOnBatch");
    const batch = this.singleBatch(x, y, options.sampleWeight, "trainOnBatch", options.allowNonFinite ?? false);
    if (options.classWeight !== undefined) {
      if (options.sampleWeight !== undefined) {
        throw new ValueError("trainOnBatch received both `classWeight` and `sampleWeight`. Pass one of them.");
      }
      batch.weights = classWeightsToSampleWeights(options.classWeight, batch.ys);
    }
    this.resetMetrics(state);
    this.trainWorkspace.run(() => this.trainStep(state, batch));
    return this.resultsInCompileOrder(state);
  }

  /** Computes one batch's loss and metrics without training. */
  testOnBatch(x: ModelData, y: ModelData, options: { sampleWeight?: SampleWeightData; allowNonFinite?: boolean } = {}): number | number[] {
    checkOptionKeys(options, ["sampleWeight", "allowNonFinite"], "testOnBatch", (m) => new ValueError(m));
    const state = this.requireCompiled("testOnBatch");
    const batch = this.singleBatch(x, y, options.sampleWeight, "testOnBatch", options.allowNonFinite ?? false);
    this.resetMetrics(state);
    this.testWorkspace.run(() => this.testStep(state, batch));
    return this.resultsInCompileOrder(state);
  }

  private singleBatch(x: ModelData, y: ModelData, sampleWeight: SampleWeightData | undefined, method: string, allowNonFinite: boolean): Batch {
    const xs = this.prepareInputs(x);
    const ys = this.prepareLabels(y);
    const n = checkListSampleCounts(xs, ys);
    const weights = this.prepareSampleWeights(sampleWeight, ys, n, "sampleWeight");
    this.checkArrays(this.compiled!, xs, ys, weights, allowNonFinite, method);
    return { xs, ys, weights };
  }

  /** The total loss, each output's loss (when there are several), then the metrics, in compile order. */
  private resultsInCompileOrder(state: CompiledState): number | number[] {
    const values = [state.lossTracker.result()];
    for (const tracker of state.resolved?.outputLossTrackers ?? []) if (tracker) values.push(tracker.result());
    for (const { metric } of state.resolved?.metricObjects ?? []) values.push(metric.result());
    return values.length === 1 ? values[0]! : values;
  }

  /** Prints a table of the layers, their output shapes and parameter counts, as Keras 3 does. */
  summary(options: SummaryOptions = {}): void {
    printSummary(this, options);
  }

  /**
   * Every weight of the model, layer by layer in `layers` order (each
   * layer's own order within), after any weights the model created itself.
   */
  override get weights(): Variable[] {
    return unique([...super.weights, ...this.layers.flatMap((l) => l.weights)]);
  }

  override get trainableWeights(): Variable[] {
    if (!this.trainable) return [];
    return unique([...super.trainableWeights, ...this.layers.flatMap((l) => l.trainableWeights)]);
  }

  override get nonTrainableWeights(): Variable[] {
    if (!this.trainable) return this.weights;
    return unique([...super.nonTrainableWeights, ...this.layers.flatMap((l) => l.nonTrainableWeights)]);
  }
}

registerLayer("Functional", (config) => Model.fromConfig(config));

function unique<T>(values: T[]): T[] {
  return values.length < 2 ? values : [...new Set(values)];
}

/** Returns true when `shape` has the rank of `expected` and matches it on every known axis after the batch axis. */
function shapeFits(expected: SymbolicShape, shape: readonly number[]): boolean {
  if (expected.length !== shape.length) return false;
  // An index loop, because this runs for every batch and `every` is slow on frozen shapes.
  for (let i = 1; i < expected.length; i++) {
    const d = expected[i];
    if (d !== null && d !== shape[i]) return false;
  }
  return true;
}

/** Throws a ShapeError when data of `shape` does not fit `expected` (batch axis free). */
export function checkShapeFits(expected: SymbolicShape, shape: readonly number[], owner: string, argument: string): void {
  if (shapeFits(expected, shape)) return;
  let hint = "";
  const sample = expected.slice(1);
  const known = sample.every((d) => d !== null) ? (sample as number[]).reduce((a, b) => a * b, 1) : null;
  if (shape.length === expected.length - 1 && sample.every((d, i) => d === null || d === shape[i])) {
    hint = ` It looks like a single sample: wrap it in an array to make a batch of one, shape ${formatShape([1, ...shape])}.`;
    if (expected[1] === null) hint += ` If the Input's shape includes the batch axis by mistake, leave it out: Input({ shape: [${sample.slice(1).map((d) => d ?? "null").join(", ")}] }).`;
  } else if (known !== null && shape.length > 1 && shape.slice(1).reduce((a, b) => a * b, 1) === known && shape.length !== expected.length) {
    hint = ` The samples have ${known} values each, as expected, but in another shape: reshape the data to ${formatShape([shape[0]!, ...sample])}, or start the model with an Input of shape ${formatShape(shape.slice(1))} followed by Flatten.`;
  }
  throw new ShapeError(`${owner} expects input of shape ${formatShape(expected)}, but \`${argument}\` has shape ${formatShape(shape)}.${hint}`);
}

function checkLabelCount(ys: Tensor[], preds: Tensor[], resolved: ResolvedTargets): void {
  if (ys.length !== preds.length) {
    throw new ValueError(
      `The model has ${preds.length} outputs (${resolved.targets.map((t) => `"${t.name}"`).join(", ")}), but \`y\` has ${ys.length} label arrays. Pass one per output.`,
    );
  }
}

function checkCallbacks(callbacks: unknown, method: string): Callback[] {
  if (callbacks === undefined) return [];
  if (!Array.isArray(callbacks)) {
    throw new ValueError(`Invalid \`callbacks\` for ${method}: expected an array of Callback objects, received ${typeof callbacks}.`);
  }
  callbacks.forEach((callback, i) => {
    if (!(callback instanceof Callback)) {
      throw new ValueError(
        `Invalid \`callbacks[${i}]\` for ${method}: expected an instance of a Callback subclass, received ${callback === null ? "null" : typeof callback}. Extend Callback and override its hooks.`,
      );
    }
  });
  return callbacks as Callback[];
}

interface SplitData {
  train: [Tensor[], Tensor[], (Tensor | null)[] | null];
  validation: [Tensor[], Tensor[], (Tensor | null)[] | null];
}

function splitValidation(x: Tensor[], y: Tensor[], weights: (Tensor | null)[] | null, split: number): SplitData {
  if (typeof split !== "number" || !(split > 0 && split < 1)) {
    throw new ValueError(
      `Invalid \`validationSplit\` for fit: expected a number greater than 0 and less than 1, received ${JSON.stringify(split)}.`,
    );
  }
  const n = x[0]!.shape[0]!;
  const splitAt = Math.floor(n * (1 - split));
  if (splitAt === 0 || splitAt === n) {
    throw new ValueError(
      `validationSplit ${split} on ${n} samples leaves ${splitAt === 0 ? "no training samples" : "no validation samples"} ` +
        `(training would get ${splitAt} and validation ${n - splitAt}). Use more samples or a different split.`,
    );
  }
  const head = (t: Tensor) => sliceRows(t, 0, splitAt);
  const tail = (t: Tensor) => sliceRows(t, splitAt, n);
  const sliceWeights = (slice: (t: Tensor) => Tensor) => (weights === null ? null : weights.map((w) => (w === null ? null : slice(w))));
  return {
    train: [x.map(head), y.map(head), sliceWeights(head)],
    validation: [x.map(tail), y.map(tail), sliceWeights(tail)],
  };
}

/** Returns the tracker of one output's loss, or null for an output without a loss. */
function outputLossTracker(target: OutputTarget): metrics.Mean | null {
  return target.loss === null ? null : new metrics.Mean({ name: `${target.name}_loss` });
}

/**
 * Turns class weights into one weight per sample, as Keras does. The class
 * of a sample is the argmax of a one-hot label, or the rounded label itself
 * for a single label column. Classes without an entry weigh 1.
 */
function classWeightsToSampleWeights(classWeight: Record<number, number>, ys: Tensor[]): (Tensor | null)[] {
  if (!isPlainRecord(classWeight)) {
    throw new ValueError(`Invalid \`classWeight\`: expected a record from class index to weight, such as { 0: 1, 1: 5 }, received ${JSON.stringify(classWeight)}.`);
  }
  if (ys.length !== 1) {
    throw new ValueError(`\`classWeight\` works for models with one output, but this model has ${ys.length}. Pass \`sampleWeight\` per output instead.`);
  }
  const y = ys[0]!;
  const columns = y.rank > 1 ? y.shape[y.rank - 1]! : 1;
  const classes = columns === 1 ? 2 : columns;
  const table = new Map<number, number>();
  for (const [key, weight] of Object.entries(classWeight)) {
    const index = Number(key);
    const validRange = columns === 1 ? "0 or 1 for a single label column" : `0 to ${classes - 1}`;
    if (!Number.isInteger(index) || index < 0 || (columns > 1 && index >= classes)) {
      throw new ValueError(`Invalid \`classWeight\` key "${key}": expected a class index from ${validRange}.`);
    }
    if (typeof weight !== "number" || !Number.isFinite(weight)) {
      throw new ValueError(`Invalid \`classWeight\` for class ${key}: expected a finite number, received ${JSON.stringify(weight)}.`);
    }
    table.set(index, weight);
  }
  const samples = y.shape[0]!;
  const rowSize = samples === 0 ? 0 : y.size / samples;
  const weights = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    let label: number;
    if (columns === 1) {
      label = Math.round(y.data[i * rowSize]!);
    } else {
      label = 0;
      for (let c = 1; c < columns; c++) if (y.data[i * rowSize + c]! > y.data[i * rowSize + label]!) label = c;
    }
    weights[i] = table.get(label) ?? 1;
  }
  const tensor = new Tensor(y.dtype === "float64" ? Float64Array.from(weights) : weights, [samples]);
  return [tensor];
}

/** Throws a ValueError naming the first NaN or infinite value of `t` and the option that allows them. */
function checkFinite(t: Tensor, argument: string, method: string): void {
  const data = t.data;
  // The scan runs on the backend because it reads every element of the data at each fit, evaluate and predict call.
  const i = getBackend().findNonFinite(data);
  if (i < 0) return;
  const value = data[i]!;
  const rowSize = t.shape[0] === 0 ? 1 : data.length / t.shape[0]!;
  const sample = Math.floor(i / rowSize);
  throw new ValueError(
    `\`${argument}\` contains ${value} at sample ${sample} (element ${i} of shape ${formatShape(t.shape)}). ` +
      `Clean the data, or pass allowNonFinite: true to ${method} to accept non-finite values.`,
  );
}

/** Throws a ValueError naming the first label of `y` that is not a class index of an output with `classes` classes. */
function checkClassLabels(y: Tensor, classes: number, ignoreClass: number | null, argument: string, output: string): void {
  for (let i = 0; i < y.size; i++) {
    const value = y.data[i]!;
    if (value === ignoreClass) continue;
    if (Number.isInteger(value) && value >= 0 && value < classes) continue;
    const rowSize = y.shape[0] === 0 ? 1 : y.size / y.shape[0]!;
    throw new ValueError(
      `Invalid class label ${value} in \`${argument}\` at sample ${Math.floor(i / rowSize)}: output "${output}" has ${classes} classes, ` +
        `so labels must be integers from 0 to ${classes - 1}. Check the labels, or the number of units of the last layer.`,
    );
  }
}

function requireLabels(y: ModelData | null | undefined, method: string): ModelData {
  if (y === undefined || y === null) {
    throw new ValueError(`${method} needs labels \`y\` with array data. Pass y, or pass an iterable of [x, y] batches as x.`);
  }
  return y;
}

function checkNoLabels(y: unknown, method: string): void {
  if (y !== undefined && y !== null) {
    throw new ValueError(`${method} received an iterable of batches as \`x\` and also \`y\`. The batches carry their labels: leave y out (pass null).`);
  }
}

function optionalPositiveInteger(value: number | undefined, name: string, method: string): number | null {
  return value === undefined || value === null ? null : checkPositiveInteger(value, name, method);
}

function checkNonNegativeInteger(value: number, name: string, method: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new ValueError(`Invalid \`${name}\` for ${method}: expected a non-negative integer, received ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Returns the test for whether to validate after a 0-based epoch. */
function checkValidationFreq(freq: number | number[] | undefined): (epoch: number) => boolean {
  if (freq === undefined) return () => true;
  if (typeof freq === "number") {
    checkPositiveInteger(freq, "validationFreq", "fit");
    return (epoch) => (epoch + 1) % freq === 0;
  }
  if (Array.isArray(freq) && freq.every((e) => Number.isInteger(e) && e >= 1)) {
    const epochs = new Set(freq);
    return (epoch) => epochs.has(epoch + 1);
  }
  throw new ValueError(`Invalid \`validationFreq\`: expected a positive integer or an array of 1-based epoch numbers, received ${JSON.stringify(freq)}.`);
}

function concatRows(parts: Tensor[]): Tensor {
  const first = parts[0]!;
  const rows = parts.reduce((total, p) => total + p.shape[0]!, 0);
  const data = allocate(first.dtype, parts.reduce((total, p) => total + p.size, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.size;
  }
  return new Tensor(data, [rows, ...first.shape.slice(1)]);
}

