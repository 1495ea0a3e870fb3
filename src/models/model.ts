import { ShapeError, ValueError, formatShape } from "../errors.js";
import { noGrad, valueAndGradients } from "../autodiff/tape.js";
import { Callback, History, type Logs, callHook } from "../callbacks/callback.js";
import { Progbar, ProgbarLogger } from "../callbacks/progbar.js";
import { registerLayer } from "../layers/index.js";
import { type CallOptions, Layer, type LayerShape, type SymbolicShape, isShapeList } from "../layers/layer.js";
import type { Variable } from "../layers/variable.js";
import * as metrics from "../metrics/index.js";
import * as ops from "../ops/index.js";
import * as optimizers from "../optimizers/index.js";
import { globalRandom } from "../random.js";
import { Tensor } from "../tensor/tensor.js";
import { allocate } from "../tensor/dtype.js";
import { Workspace } from "../backend/workspace.js";
import { uniqueName } from "../utils/naming.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { checkPositiveInteger } from "../utils/validate.js";
import { type LossSpec, type LossWeightsSpec, type MetricsSpec, type OutputTarget, resolveTargets, validateCompileSpecs } from "./compile.js";
import { checkListSampleCounts, gatherRows, type ModelData, resolveVerbose, sliceRows, toTensorList } from "./data.js";
import { FunctionalGraph, type TensorStructure } from "./functional.js";
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
}

export type Verbose = 0 | 1 | 2 | "auto";

export interface FitOptions {
  /** Samples per gradient step; the last batch of an epoch may be smaller. Default 32. */
  batchSize?: number;
  /** Number of passes over the training data. Default 1. */
  epochs?: number;
  verbose?: Verbose;
  callbacks?: Callback[];
  /** Fraction of the samples, taken from the end before any shuffling, held out for validation. */
  validationSplit?: number;
  /** `[x, y]` to evaluate at the end of every epoch; overrides `validationSplit`. */
  validationData?: [ModelData, ModelData];
  /** Reshuffle the training samples before every epoch. Default true. */
  shuffle?: boolean;
}

export interface EvaluateOptions {
  batchSize?: number;
  verbose?: Verbose;
  callbacks?: Callback[];
  /** Resolve to `{ loss, <metric>: value }` instead of an array. */
  returnDict?: boolean;
}

export interface PredictOptions {
  batchSize?: number;
  verbose?: Verbose;
}

/** What `predict` returns: one Tensor per output, in the structure the model's outputs were given. */
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
const COMPILE_OPTIONS = ["optimizer", "loss", "lossWeights", "metrics"];
const FIT_OPTIONS = ["batchSize", "epochs", "verbose", "callbacks", "validationSplit", "validationData", "shuffle"];
const EVALUATE_OPTIONS = ["batchSize", "verbose", "callbacks", "returnDict"];
const PREDICT_OPTIONS = ["batchSize", "verbose"];

/** A metric with the log key it reports under (prefixed by the output name when there are several outputs). */
interface TrackedMetric {
  metric: metrics.Metric;
  key: string;
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
  history: History | null = null;
  /** The layer graph of a functional model, or null for Sequential and subclassed models. */
  readonly graph: FunctionalGraph | null;
  private compiled: CompiledState | null = null;
  /** Buffers reused across training steps, and separately across test steps, which have other shapes. */
  private readonly trainWorkspace = new Workspace();
  private readonly testWorkspace = new Workspace();

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
   * Keras's graph order; a subclassed model lists the layers held in its
   * fields (or arrays in its fields), in the order the fields were assigned.
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

  get optimizer(): optimizers.Optimizer | null {
    return this.compiled?.optimizer ?? null;
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
    validateCompileSpecs(options.loss, options.lossWeights, options.metrics);
    const state: CompiledState = {
      // Keras's default optimizer is RMSprop with its default options.
      optimizer: optimizers.get(options.optimizer ?? "rmsprop"),
      loss: options.loss,
      lossWeights: options.lossWeights,
      metrics: options.metrics,
      resolved: null,
      lossTracker: new metrics.Mean({ name: "loss" }),
    };
    const outputNames = this.outputNames;
    if (outputNames) this.resolveTargets(state, outputNames);
    this.compiled = state;
  }

  private resolveTargets(state: CompiledState, outputNames: readonly string[]): ResolvedTargets {
    const targets = resolveTargets(outputNames, state.loss, state.lossWeights, state.metrics);
    const withLoss = targets.filter((t) => t.loss !== null).length;
    state.resolved = {
      targets,
      outputLossTrackers: withLoss > 1 ? targets.map((t) => (t.loss ? new metrics.Mean({ name: `${t.name}_loss` }) : null)) : null,
      metricObjects: null,
    };
    return state.resolved;
  }

  /** The compile targets, resolved against `outputCount` outputs when the model did not declare them. */
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

  private metricObjects(state: CompiledState, resolved: ResolvedTargets, ys: Tensor[], preds: Tensor[]): TrackedMetric[] {
    if (resolved.metricObjects) return resolved.metricObjects;
    const tracked: TrackedMetric[] = [];
    const used = new Set<string>(["loss", ...resolved.targets.map((t) => `${t.name}_loss`)]);
    const prefix = resolved.targets.length > 1;
    resolved.targets.forEach((target, i) => {
      for (const identifier of target.metricIdentifiers) {
        const metric = metrics.get(identifier, ys[i]!, preds[i]!);
        const base = prefix ? `${target.name}_${metric.name}` : metric.name;
        let key = base;
        for (let k = 1; used.has(key); k++) key = `${base}_${k}`;
        used.add(key);
        tracked.push({ metric, key });
      }
    });
    resolved.metricObjects = tracked;
    void state;
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
  private totalLoss(resolved: ResolvedTargets, ys: Tensor[], preds: Tensor[], perOutput: (Tensor | null)[]): Tensor {
    let total: Tensor | null = null;
    resolved.targets.forEach((target, i) => {
      if (!target.loss) {
        perOutput[i] = null;
        return;
      }
      const value = target.loss.compute(ys[i]!, preds[i]!);
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
    ys: Tensor[],
    preds: Tensor[],
    samples: number,
  ): void {
    state.lossTracker.update(total, samples);
    resolved.outputLossTrackers?.forEach((tracker, i) => tracker?.update(perOutput[i]!.item(), samples));
    for (const { metric } of this.metricObjects(state, resolved, ys, preds)) {
      const index = this.targetIndexOf(resolved, metric);
      metric.updateState(ys[index]!, preds[index]!);
    }
  }

  private targetIndexOf(resolved: ResolvedTargets, metric: metrics.Metric): number {
    if (resolved.targets.length === 1) return 0;
    let offset = 0;
    const tracked = resolved.metricObjects!;
    const position = tracked.findIndex((m) => m.metric === metric);
    for (let i = 0; i < resolved.targets.length; i++) {
      offset += resolved.targets[i]!.metricIdentifiers.length;
      if (position < offset) return i;
    }
    return resolved.targets.length - 1;
  }

  /** Runs one training step; call it inside `trainWorkspace.run`, since its buffers are reused by the next step. */
  private trainStep(state: CompiledState, xs: Tensor[], ys: Tensor[]): void {
    const variables = this.trainableWeights;
    let preds: Tensor[] = [];
    let resolved: ResolvedTargets | null = null;
    const perOutput: (Tensor | null)[] = [];
    const { value, gradients } = valueAndGradients(() => {
      preds = this.forward(xs, true);
      resolved = this.targetsFor(state, preds.length);
      checkLabelCount(ys, preds, resolved);
      return this.totalLoss(resolved, ys, preds, perOutput);
    }, variables.map((v) => v.value));
    if (variables.length > 0) state.optimizer.applyGradients(gradients, variables);
    this.updateTrackers(state, resolved!, value.item(), perOutput, ys, preds, xs[0]!.shape[0]!);
  }

  private testStep(state: CompiledState, xs: Tensor[], ys: Tensor[]): void {
    const preds = this.forward(xs, false);
    const resolved = this.targetsFor(state, preds.length);
    checkLabelCount(ys, preds, resolved);
    const perOutput: (Tensor | null)[] = [];
    const total = this.totalLoss(resolved, ys, preds, perOutput);
    this.updateTrackers(state, resolved, total.item(), perOutput, ys, preds, xs[0]!.shape[0]!);
  }

  /**
   * Trains the model for `epochs` passes over `x` and `y`, and resolves to a
   * History whose `history` maps each log key to its value per epoch. With
   * several inputs or outputs, `x` and `y` are arrays in order or records by name.
   */
  async fit(x: ModelData, y: ModelData, options: FitOptions = {}): Promise<History> {
    checkOptionKeys(options, FIT_OPTIONS, "fit", (m) => new ValueError(m));
    const state = this.requireCompiled("fit");
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "fit");
    const epochs = checkPositiveInteger(options.epochs ?? 1, "epochs", "fit");
    const verbose = resolveVerbose(options.verbose, "fit");
    const shuffle = options.shuffle ?? true;
    let xAll = this.prepareInputs(x);
    let yAll = this.prepareLabels(y);
    checkListSampleCounts(xAll, yAll);

    let validation: [Tensor[], Tensor[]] | null = null;
    if (options.validationData !== undefined) {
      if (!Array.isArray(options.validationData) || options.validationData.length !== 2) {
        throw new ValueError("Invalid `validationData`: expected [xVal, yVal].");
      }
      const xVal = this.prepareInputs(options.validationData[0], "validationData[0]");
      const yVal = this.prepareLabels(options.validationData[1], "validationData[1]");
      checkListSampleCounts(xVal, yVal, "validationData[0]", "validationData[1]");
      validation = [xVal, yVal];
    } else if (options.validationSplit !== undefined && options.validationSplit !== 0) {
      [xAll, yAll, validation] = splitValidation(xAll, yAll, options.validationSplit);
    }

    const n = xAll[0]!.shape[0]!;
    const steps = Math.ceil(n / batchSize);
    const history = new History();
    const callbacks: Callback[] = [...checkCallbacks(options.callbacks, "fit"), history];
    if (verbose !== 0) callbacks.push(new ProgbarLogger());
    for (const callback of callbacks) {
      callback.setModel(this);
      callback.setParams({ verbose, epochs, steps });
    }
    this.history = history;
    this.stopTraining = false;

    let epochLogs: Logs = {};
    await callHook(callbacks, "onTrainBegin");
    for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
      this.resetMetrics(state);
      await callHook(callbacks, "onEpochBegin", epoch);
      const order = shuffle ? globalRandom().permutation(n) : null;
      let logs: Logs = {};
      for (let step = 0; step < steps; step++) {
        await callHook(callbacks, "onTrainBatchBegin", step);
        const start = step * batchSize;
        const end = Math.min(n, start + batchSize);
        this.trainWorkspace.run(() => {
          const rows = order ? order.subarray(start, end) : null;
          const batch = (t: Tensor) => (rows ? gatherRows(t, rows) : sliceRows(t, start, end));
          this.trainStep(state, xAll.map(batch), yAll.map(batch));
        });
        logs = this.currentLogs(state);
        await callHook(callbacks, "onTrainBatchEnd", step, logs);
        if (this.stopTraining) break;
      }
      epochLogs = { ...logs };
      if (validation) {
        const valLogs = await this.runTest(state, validation[0], validation[1], batchSize, callbacks);
        for (const [key, value] of Object.entries(valLogs)) epochLogs[`val_${key}`] = value;
      }
      await callHook(callbacks, "onEpochEnd", epoch, epochLogs);
    }
    await callHook(callbacks, "onTrainEnd", epochLogs);
    return history;
  }

  private async runTest(state: CompiledState, xs: Tensor[], ys: Tensor[], batchSize: number, callbacks: Callback[]): Promise<Logs> {
    this.resetMetrics(state);
    const n = xs[0]!.shape[0]!;
    const steps = Math.ceil(n / batchSize);
    await callHook(callbacks, "onTestBegin");
    let logs: Logs = {};
    for (let step = 0; step < steps; step++) {
      await callHook(callbacks, "onTestBatchBegin", step);
      const start = step * batchSize;
      const end = Math.min(n, start + batchSize);
      const batch = (t: Tensor) => sliceRows(t, start, end);
      this.testWorkspace.run(() => this.testStep(state, xs.map(batch), ys.map(batch)));
      logs = this.currentLogs(state);
      await callHook(callbacks, "onTestBatchEnd", step, logs);
    }
    await callHook(callbacks, "onTestEnd", logs);
    return logs;
  }

  /**
   * Computes the loss and metrics on `x` and `y` without training. Resolves to
   * the loss alone when nothing else is tracked, otherwise to an array: the
   * total loss, each output's loss (with several outputs), then the metrics in
   * compile order. With `returnDict`, resolves to a record by log key.
   */
  async evaluate(x: ModelData, y: ModelData, options: EvaluateOptions = {}): Promise<number | number[] | Logs> {
    checkOptionKeys(options, EVALUATE_OPTIONS, "evaluate", (m) => new ValueError(m));
    const state = this.requireCompiled("evaluate");
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "evaluate");
    const verbose = resolveVerbose(options.verbose, "evaluate");
    const xAll = this.prepareInputs(x);
    const yAll = this.prepareLabels(y);
    const n = checkListSampleCounts(xAll, yAll);
    const callbacks: Callback[] = [...checkCallbacks(options.callbacks, "evaluate")];
    if (verbose !== 0) callbacks.push(new ProgbarLogger());
    for (const callback of callbacks) {
      callback.setModel(this);
      callback.setParams({ verbose, epochs: 1, steps: Math.ceil(n / batchSize) });
    }
    const logs = await this.runTest(state, xAll, yAll, batchSize, callbacks);
    if (options.returnDict) return logs;
    const ordered = this.resultsInCompileOrder(state);
    return ordered;
  }

  /**
   * Returns the model's outputs for `x`, computed in batches with training
   * off: a Tensor for one output, else an array (or a record, when the
   * outputs were declared as one) with a Tensor per output.
   */
  predict(x: ModelData, options: PredictOptions = {}): PredictOutput {
    checkOptionKeys(options, PREDICT_OPTIONS, "predict", (m) => new ValueError(m));
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "predict");
    const verbose = resolveVerbose(options.verbose, "predict");
    const xAll = this.prepareInputs(x);
    const n = checkListSampleCounts(xAll, null);
    const steps = Math.ceil(n / batchSize);
    const progbar = verbose === 0 ? null : new Progbar(steps, { verbose });
    const parts: Tensor[][] = [];
    for (let step = 0; step < steps; step++) {
      const end = Math.min(n, (step + 1) * batchSize);
      const outputs = this.forward(xAll.map((t) => sliceRows(t, step * batchSize, end)), false);
      outputs.forEach((output, i) => (parts[i] ??= []).push(output));
      progbar?.update(step + 1, {}, step + 1 === steps);
    }
    return this.structureOutputs(parts.map(concatRows));
  }

  /** Returns the model's outputs for one batch, with no batching and no progress bar. */
  predictOnBatch(x: ModelData): PredictOutput {
    return this.structureOutputs(this.forward(this.prepareInputs(x), false));
  }

  /** Arranges per-output tensors as the model's outputs were declared. */
  private structureOutputs(outputs: Tensor[]): PredictOutput {
    const keys = this.graph?.outputs.keys;
    if (keys) return Object.fromEntries(keys.map((k, i) => [k, outputs[i]!]));
    if (outputs.length === 1 && !(this.graph && !this.graph.outputs.single)) return outputs[0]!;
    return outputs;
  }

  /** Runs one training step on one batch and returns that batch's loss and metrics (not a running mean). */
  trainOnBatch(x: ModelData, y: ModelData): number | number[] {
    const state = this.requireCompiled("trainOnBatch");
    const xb = this.prepareInputs(x);
    const yb = this.prepareLabels(y);
    checkListSampleCounts(xb, yb);
    this.resetMetrics(state);
    this.trainWorkspace.run(() => this.trainStep(state, xb, yb));
    return this.resultsInCompileOrder(state);
  }

  /** Computes one batch's loss and metrics without training. */
  testOnBatch(x: ModelData, y: ModelData): number | number[] {
    const state = this.requireCompiled("testOnBatch");
    const xb = this.prepareInputs(x);
    const yb = this.prepareLabels(y);
    checkListSampleCounts(xb, yb);
    this.resetMetrics(state);
    this.testWorkspace.run(() => this.testStep(state, xb, yb));
    return this.resultsInCompileOrder(state);
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

/** Throws a ShapeError when data of `shape` does not fit `expected` (batch axis free). */
export function checkShapeFits(expected: SymbolicShape, shape: readonly number[], owner: string, argument: string): void {
  const fits = expected.length === shape.length && expected.every((d, i) => i === 0 || d === null || d === shape[i]);
  if (fits) return;
  let hint = "";
  if (shape.length === expected.length - 1 && expected.slice(1).every((d, i) => d === null || d === shape[i])) {
    hint = ` It looks like a single sample: wrap it in an array to make a batch of one, shape ${formatShape([1, ...shape])}.`;
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

function splitValidation(x: Tensor[], y: Tensor[], split: number): [Tensor[], Tensor[], [Tensor[], Tensor[]]] {
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
  return [x.map(head), y.map(head), [x.map(tail), y.map(tail)]];
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

