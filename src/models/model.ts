import { ValueError } from "../errors.js";
import { valueAndGradients } from "../autodiff/tape.js";
import { Callback, History, type Logs, callHook } from "../callbacks/callback.js";
import { Progbar, ProgbarLogger } from "../callbacks/progbar.js";
import { Layer, type SymbolicShape } from "../layers/layer.js";
import type { Variable } from "../layers/variable.js";
import * as losses from "../losses/index.js";
import * as metrics from "../metrics/index.js";
import * as optimizers from "../optimizers/index.js";
import { globalRandom } from "../random.js";
import { Tensor, type TensorLike } from "../tensor/tensor.js";
import { allocate } from "../tensor/dtype.js";
import { Workspace } from "../backend/workspace.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { checkPositiveInteger } from "../utils/validate.js";
import {
  checkSampleCounts,
  gatherRows,
  resolveVerbose,
  sliceRows,
  toBatchTensor,
} from "./data.js";
import { printSummary, type SummaryOptions } from "./summary.js";

export interface CompileOptions {
  /** An optimizer object or Keras name ("adam", "sgd"). */
  optimizer?: optimizers.OptimizerIdentifier;
  /** A loss object or Keras name ("categorical_crossentropy", "mse", …). */
  loss: losses.LossIdentifier;
  /** Metric names or objects; "accuracy" and "acc" pick the right accuracy from the data's shapes. */
  metrics?: metrics.MetricIdentifier[];
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
  validationData?: [TensorLike, TensorLike];
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

const COMPILE_OPTIONS = ["optimizer", "loss", "metrics"];
const FIT_OPTIONS = ["batchSize", "epochs", "verbose", "callbacks", "validationSplit", "validationData", "shuffle"];
const EVALUATE_OPTIONS = ["batchSize", "verbose", "callbacks", "returnDict"];
const PREDICT_OPTIONS = ["batchSize", "verbose"];

interface CompiledState {
  optimizer: optimizers.Optimizer;
  loss: losses.Loss;
  metricIdentifiers: metrics.MetricIdentifier[];
  /** Created at the first batch, when the shapes that resolve "accuracy" are known. */
  metricObjects: metrics.Metric[] | null;
  lossTracker: metrics.Mean;
}

/**
 * A model: layers plus training. Subclasses define the layers and the input
 * shape; this base class implements `compile`, `fit`, `evaluate`, `predict`
 * and `summary` on top of them.
 */
export abstract class Model extends Layer {
  /** Set to true (for example from a callback) to stop `fit` after the current batch. */
  stopTraining = false;
  history: History | null = null;
  private compiled: CompiledState | null = null;
  /** Buffers reused across training steps, and separately across test steps, which have other shapes. */
  private readonly trainWorkspace = new Workspace();
  private readonly testWorkspace = new Workspace();

  /** The layers, in order (without the input layer). */
  abstract get layers(): Layer[];

  /** The declared input shape with the batch axis, or null while the model does not know it yet. */
  abstract get inputShape(): SymbolicShape | null;

  /** Builds the model for data of the given shape (batch axis included), if it is not built yet. */
  protected abstract buildForData(shape: readonly number[]): void;

  /** Checks that data of `shape` fits the model's input; throws a ShapeError naming `argument` otherwise. */
  protected abstract checkDataShape(shape: readonly number[], argument: string): void;

  get optimizer(): optimizers.Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** Configures training: the optimizer, the loss and the metrics to report. */
  compile(options: CompileOptions): void {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError('compile needs an options object such as { optimizer: "adam", loss: "categorical_crossentropy" }.');
    }
    checkOptionKeys(options, COMPILE_OPTIONS, "compile", (m) => new ValueError(m));
    if (options.loss === undefined) {
      throw new ValueError('compile needs a `loss`, for example loss: "categorical_crossentropy" or "mse".');
    }
    if (options.optimizer === undefined) {
      throw new ValueError(
        'compile needs an `optimizer`. Keras defaults to "rmsprop", which Stratum does not provide yet: pass "adam" or "sgd".',
      );
    }
    const metricIdentifiers = options.metrics ?? [];
    if (!Array.isArray(metricIdentifiers)) {
      throw new ValueError(
        `Invalid \`metrics\`: expected an array such as ["accuracy"], received ${JSON.stringify(metricIdentifiers)}.`,
      );
    }
    metricIdentifiers.forEach((m) => metrics.validate(m));
    this.compiled = {
      optimizer: optimizers.get(options.optimizer),
      loss: losses.get(options.loss),
      metricIdentifiers: [...metricIdentifiers],
      metricObjects: null,
      lossTracker: new metrics.Mean({ name: "loss" }),
    };
  }

  private requireCompiled(method: string): CompiledState {
    if (!this.compiled) {
      throw new ValueError(
        `The model must be compiled before ${method}. Call model.compile({ optimizer, loss, metrics }) first.`,
      );
    }
    return this.compiled;
  }

  /** Runs the model on a batch; the tape records it when gradients are being taken. */
  call(inputs: Tensor, options: { training?: boolean } = {}): Tensor {
    let x = inputs;
    for (const layer of this.layers) x = layer.apply(x, options);
    return x;
  }

  private prepareX(x: TensorLike, argument = "x"): Tensor {
    const tensor = toBatchTensor(x, argument, this.dtype);
    this.checkDataShape(tensor.shape, argument);
    this.buildForData(tensor.shape);
    return tensor;
  }

  private metricObjects(state: CompiledState, yTrue: Tensor, yPred: Tensor): metrics.Metric[] {
    state.metricObjects ??= state.metricIdentifiers.map((id) => metrics.get(id, yTrue, yPred));
    return state.metricObjects;
  }

  private resetMetrics(state: CompiledState): void {
    state.lossTracker.resetState();
    state.metricObjects?.forEach((m) => m.resetState());
  }

  /** Returns the running values in Keras's key order: metric and loss keys sorted alphabetically. */
  private currentLogs(state: CompiledState): Logs {
    const entries: [string, number][] = [[state.lossTracker.name, state.lossTracker.result()]];
    for (const m of state.metricObjects ?? []) entries.push([m.name, m.result()]);
    // Python's sorted() compares code points, so "ACC" sorts before "acc" and "val_a" before "vala".
    entries.sort(([a], [b]) => {
      if (a === b) return 0;
      return a < b ? -1 : 1;
    });
    return Object.fromEntries(entries);
  }

  /** Runs one training step; call it inside `trainWorkspace.run`, since its buffers are reused by the next step. */
  private trainStep(state: CompiledState, x: Tensor, y: Tensor): void {
    const variables = this.trainableWeights;
    let yPred: Tensor | null = null;
    const { value, gradients } = valueAndGradients(() => {
      yPred = this.call(x, { training: true });
      return state.loss.compute(y, yPred);
    }, variables.map((v) => v.value));
    if (variables.length > 0) state.optimizer.applyGradients(gradients, variables);
    state.lossTracker.update(value.item(), x.shape[0]!);
    for (const m of this.metricObjects(state, y, yPred!)) m.updateState(y, yPred!);
  }

  private testStep(state: CompiledState, x: Tensor, y: Tensor): void {
    const yPred = this.call(x, { training: false });
    const loss = state.loss.compute(y, yPred);
    state.lossTracker.update(loss.item(), x.shape[0]!);
    for (const m of this.metricObjects(state, y, yPred)) m.updateState(y, yPred);
  }

  /**
   * Trains the model for `epochs` passes over `x` and `y`, and resolves to a
   * History whose `history` maps each log key to its value per epoch.
   */
  async fit(x: TensorLike, y: TensorLike, options: FitOptions = {}): Promise<History> {
    checkOptionKeys(options, FIT_OPTIONS, "fit", (m) => new ValueError(m));
    const state = this.requireCompiled("fit");
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "fit");
    const epochs = checkPositiveInteger(options.epochs ?? 1, "epochs", "fit");
    const verbose = resolveVerbose(options.verbose, "fit");
    const shuffle = options.shuffle ?? true;
    let xAll = this.prepareX(x);
    let yAll = toBatchTensor(y, "y", this.dtype);
    checkSampleCounts(xAll, yAll);

    let validation: [Tensor, Tensor] | null = null;
    if (options.validationData !== undefined) {
      if (!Array.isArray(options.validationData) || options.validationData.length !== 2) {
        throw new ValueError("Invalid `validationData`: expected [xVal, yVal].");
      }
      const xVal = this.prepareX(options.validationData[0], "validationData[0]");
      const yVal = toBatchTensor(options.validationData[1], "validationData[1]", this.dtype);
      checkSampleCounts(xVal, yVal, "validationData[0]", "validationData[1]");
      validation = [xVal, yVal];
    } else if (options.validationSplit !== undefined && options.validationSplit !== 0) {
      [xAll, yAll, validation] = splitValidation(xAll, yAll, options.validationSplit);
    }

    const n = xAll.shape[0]!;
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
          const xb = order ? gatherRows(xAll, order.subarray(start, end)) : sliceRows(xAll, start, end);
          const yb = order ? gatherRows(yAll, order.subarray(start, end)) : sliceRows(yAll, start, end);
          this.trainStep(state, xb, yb);
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

  private async runTest(state: CompiledState, x: Tensor, y: Tensor, batchSize: number, callbacks: Callback[]): Promise<Logs> {
    this.resetMetrics(state);
    const n = x.shape[0]!;
    const steps = Math.ceil(n / batchSize);
    await callHook(callbacks, "onTestBegin");
    let logs: Logs = {};
    for (let step = 0; step < steps; step++) {
      await callHook(callbacks, "onTestBatchBegin", step);
      const end = Math.min(n, (step + 1) * batchSize);
      this.testWorkspace.run(() => this.testStep(state, sliceRows(x, step * batchSize, end), sliceRows(y, step * batchSize, end)));
      logs = this.currentLogs(state);
      await callHook(callbacks, "onTestBatchEnd", step, logs);
    }
    await callHook(callbacks, "onTestEnd", logs);
    return logs;
  }

  /**
   * Computes the loss and metrics on `x` and `y` without training. Resolves to
   * the loss alone when no metrics were compiled, otherwise to
   * `[loss, ...metrics]` in compile order (or a record with `returnDict`).
   */
  async evaluate(x: TensorLike, y: TensorLike, options: EvaluateOptions = {}): Promise<number | number[] | Logs> {
    checkOptionKeys(options, EVALUATE_OPTIONS, "evaluate", (m) => new ValueError(m));
    const state = this.requireCompiled("evaluate");
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "evaluate");
    const verbose = resolveVerbose(options.verbose, "evaluate");
    const xAll = this.prepareX(x);
    const yAll = toBatchTensor(y, "y", this.dtype);
    const n = checkSampleCounts(xAll, yAll);
    const callbacks: Callback[] = [...checkCallbacks(options.callbacks, "evaluate")];
    if (verbose !== 0) callbacks.push(new ProgbarLogger());
    for (const callback of callbacks) {
      callback.setModel(this);
      callback.setParams({ verbose, epochs: 1, steps: Math.ceil(n / batchSize) });
    }
    const logs = await this.runTest(state, xAll, yAll, batchSize, callbacks);
    if (options.returnDict) return logs;
    const metricObjects = state.metricObjects ?? [];
    if (metricObjects.length === 0) return logs["loss"]!;
    return [logs["loss"]!, ...metricObjects.map((m) => logs[m.name]!)];
  }

  /** Returns the model's outputs for `x`, computed in batches with training off. */
  predict(x: TensorLike, options: PredictOptions = {}): Tensor {
    checkOptionKeys(options, PREDICT_OPTIONS, "predict", (m) => new ValueError(m));
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, "batchSize", "predict");
    const verbose = resolveVerbose(options.verbose, "predict");
    const xAll = this.prepareX(x);
    const n = checkSampleCounts(xAll, null);
    const steps = Math.ceil(n / batchSize);
    const progbar = verbose === 0 ? null : new Progbar(steps, { verbose });
    const outputs: Tensor[] = [];
    for (let step = 0; step < steps; step++) {
      const end = Math.min(n, (step + 1) * batchSize);
      outputs.push(this.call(sliceRows(xAll, step * batchSize, end), { training: false }));
      progbar?.update(step + 1, {}, step + 1 === steps);
    }
    return concatRows(outputs);
  }

  /** Returns the model's outputs for one batch, with no batching and no progress bar. */
  predictOnBatch(x: TensorLike): Tensor {
    return this.call(this.prepareX(x), { training: false });
  }

  /** Runs one training step on one batch and returns that batch's loss and metrics (not a running mean). */
  trainOnBatch(x: TensorLike, y: TensorLike): number | number[] {
    const state = this.requireCompiled("trainOnBatch");
    const xb = this.prepareX(x);
    const yb = toBatchTensor(y, "y", this.dtype);
    checkSampleCounts(xb, yb);
    this.resetMetrics(state);
    this.trainWorkspace.run(() => this.trainStep(state, xb, yb));
    return this.resultsInCompileOrder(state);
  }

  /** Computes one batch's loss and metrics without training. */
  testOnBatch(x: TensorLike, y: TensorLike): number | number[] {
    const state = this.requireCompiled("testOnBatch");
    const xb = this.prepareX(x);
    const yb = toBatchTensor(y, "y", this.dtype);
    checkSampleCounts(xb, yb);
    this.resetMetrics(state);
    this.testWorkspace.run(() => this.testStep(state, xb, yb));
    return this.resultsInCompileOrder(state);
  }

  private resultsInCompileOrder(state: CompiledState): number | number[] {
    const metricObjects = state.metricObjects ?? [];
    const loss = state.lossTracker.result();
    return metricObjects.length === 0 ? loss : [loss, ...metricObjects.map((m) => m.result())];
  }

  /** Prints a table of the layers, their output shapes and parameter counts, as Keras 3 does. */
  summary(options: SummaryOptions = {}): void {
    printSummary(this, options);
  }

  /** Returns every layer's weights, layer by layer (trainable then non-trainable within each layer), as Keras orders them. */
  override get weights(): Variable[] {
    return this.layers.flatMap((l) => l.weights);
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? this.layers.flatMap((l) => l.trainableWeights) : [];
  }

  override get nonTrainableWeights(): Variable[] {
    return this.trainable ? this.layers.flatMap((l) => l.nonTrainableWeights) : this.layers.flatMap((l) => l.weights);
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

function splitValidation(x: Tensor, y: Tensor, split: number): [Tensor, Tensor, [Tensor, Tensor]] {
  if (typeof split !== "number" || !(split > 0 && split < 1)) {
    throw new ValueError(
      `Invalid \`validationSplit\` for fit: expected a number greater than 0 and less than 1, received ${JSON.stringify(split)}.`,
    );
  }
  const n = x.shape[0]!;
  const splitAt = Math.floor(n * (1 - split));
  if (splitAt === 0 || splitAt === n) {
    throw new ValueError(
      `validationSplit ${split} on ${n} samples leaves ${splitAt === 0 ? "no training samples" : "no validation samples"} ` +
        `(training would get ${splitAt} and validation ${n - splitAt}). Use more samples or a different split.`,
    );
  }
  return [sliceRows(x, 0, splitAt), sliceRows(y, 0, splitAt), [sliceRows(x, splitAt, n), sliceRows(y, splitAt, n)]];
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

