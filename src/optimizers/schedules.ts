/**
 * Learning-rate schedules: functions of the optimizer's iteration count (the
 * number of batches trained so far, 0 at the first step), with Keras 3's
 * formulas, argument checks and configs. Values are computed in float64 and
 * returned rounded to float32, because Keras evaluates them in float32.
 */

import { ValueError, formatChoices } from "../errors.js";
import { checkOptionKeys, didYouMean } from "../utils/suggest.js";

export abstract class LearningRateSchedule {
  /** The Keras class name, used in serialized configs. */
  abstract get className(): string;

  /** The learning rate at optimizer iteration `step`. */
  abstract call(step: number): number;

  /** The constructor arguments in Keras's snake_case form. */
  abstract getConfig(): Record<string, unknown>;
}

function positiveSteps(value: unknown, option: string, schedule: string): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new ValueError(`Invalid \`${option}\` for ${schedule}: expected a number > 0, received ${JSON.stringify(value)}.`);
  }
  return value;
}

function finiteNumber(value: unknown, option: string, schedule: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValueError(`Invalid \`${option}\` for ${schedule}: expected a finite number, received ${JSON.stringify(value)}.`);
  }
  return value;
}

const f = Math.fround;

/** Options shared by ExponentialDecay and InverseTimeDecay. */
export interface TimeDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Floor step / decaySteps, so the rate changes in steps of `decaySteps`. */
  staircase?: boolean;
  name?: string;
}

export type ExponentialDecayOptions = TimeDecayOptions;
export type InverseTimeDecayOptions = TimeDecayOptions;

/** The arguments and config of the two schedules driven by step / decaySteps. */
abstract class TimeDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(options: TimeDecayOptions, owner: string) {
    super();
    checkOptionKeys(options, ["initialLearningRate", "decaySteps", "decayRate", "staircase", "name"], owner, (m) => new ValueError(m));
    this.initialLearningRate = finiteNumber(options.initialLearningRate, "initialLearningRate", owner);
    this.decaySteps = positiveSteps(options.decaySteps, "decaySteps", owner);
    this.decayRate = finiteNumber(options.decayRate, "decayRate", owner);
    this.staircase = options.staircase ?? false;
    this.name = options.name ?? owner;
  }

  /** step / decaySteps in float32, floored with `staircase`. */
  protected progress(step: number): number {
    const quotient = f(f(step) / f(this.decaySteps));
    return this.staircase ? Math.floor(quotient) : quotient;
  }

  getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate,
      decay_steps: this.decaySteps,
      decay_rate: this.decayRate,
      staircase: this.staircase,
      name: this.name,
    };
  }
}

/** lr0 · rate^(step / decaySteps), with the exponent floored when `staircase` is set. */
export class ExponentialDecay extends TimeDecay {
  constructor(options: ExponentialDecayOptions) {
    super(options, "ExponentialDecay");
  }

  get className(): string {
    return "ExponentialDecay";
  }

  call(step: number): number {
    return f(f(this.initialLearningRate) * f(Math.pow(f(this.decayRate), this.progress(step))));
  }
}

/** lr0 / (1 + rate · step / decaySteps), with the quotient floored when `staircase` is set. */
export class InverseTimeDecay extends TimeDecay {
  constructor(options: InverseTimeDecayOptions) {
    super(options, "InverseTimeDecay");
  }

  get className(): string {
    return "InverseTimeDecay";
  }

  call(step: number): number {
    return f(f(this.initialLearningRate) / f(1 + f(f(this.decayRate) * this.progress(step))));
  }
}

export interface PiecewiseConstantDecayOptions {
  /** Increasing step boundaries. */
  boundaries: number[];
  /** One more value than boundaries: values[i] applies while boundaries[i − 1] < step ≤ boundaries[i]. */
  values: number[];
  name?: string;
}

export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly boundaries: number[];
  readonly values: number[];
  readonly name: string;

  constructor(options: PiecewiseConstantDecayOptions) {
    super();
    checkOptionKeys(options, ["boundaries", "values", "name"], "PiecewiseConstantDecay", (m) => new ValueError(m));
    const { boundaries, values } = options;
    if (!Array.isArray(boundaries) || !Array.isArray(values) || boundaries.length !== values.length - 1) {
      throw new ValueError(
        `PiecewiseConstantDecay needs one more value than boundaries, received ${JSON.stringify(boundaries)} as boundaries and ${JSON.stringify(values)} as values.`,
      );
    }
    this.boundaries = [...boundaries];
    this.values = [...values];
    this.name = options.name ?? "PiecewiseConstant";
  }

  get className(): string {
    return "PiecewiseConstantDecay";
  }

  call(step: number): number {
    for (let i = 0; i < this.boundaries.length; i++) {
      if (step <= this.boundaries[i]!) return f(this.values[i]!);
    }
    return f(this.values[this.values.length - 1]!);
  }

  getConfig(): Record<string, unknown> {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

export interface PolynomialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  endLearningRate?: number;
  power?: number;
  /** Restart the decay every `decaySteps` (the period grows to the next multiple of it). */
  cycle?: boolean;
  name?: string;
}

/** (lr0 − end) · (1 − step / decaySteps)^power + end, holding `end` after `decaySteps` unless cycling. */
export class PolynomialDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;

  constructor(options: PolynomialDecayOptions) {
    super();
    checkOptionKeys(
      options,
      ["initialLearningRate", "decaySteps", "endLearningRate", "power", "cycle", "name"],
      "PolynomialDecay",
      (m) => new ValueError(m),
    );
    this.initialLearningRate = finiteNumber(options.initialLearningRate, "initialLearningRate", "PolynomialDecay");
    this.decaySteps = positiveSteps(options.decaySteps, "decaySteps", "PolynomialDecay");
    this.endLearningRate = finiteNumber(options.endLearningRate ?? 0.0001, "endLearningRate", "PolynomialDecay");
    this.power = finiteNumber(options.power ?? 1.0, "power", "PolynomialDecay");
    this.cycle = options.cycle ?? false;
    this.name = options.name ?? "PolynomialDecay";
  }

  get className(): string {
    return "PolynomialDecay";
  }

  call(step: number): number {
    let current = f(step);
    let decaySteps = f(this.decaySteps);
    if (this.cycle) {
      const multiplier = current === 0 ? 1 : Math.ceil(f(current / this.decaySteps));
      decaySteps = f(decaySteps * multiplier);
    } else {
      current = Math.min(current, decaySteps);
    }
    const fraction = f(current / decaySteps);
    const span = f(f(this.initialLearningRate) - f(this.endLearningRate));
    return f(f(span * f(Math.pow(f(1 - fraction), f(this.power)))) + f(this.endLearningRate));
  }

  getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate,
      decay_steps: this.decaySteps,
      end_learning_rate: this.endLearningRate,
      power: this.power,
      cycle: this.cycle,
      name: this.name,
    };
  }
}

export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** The floor of the decay, as a fraction of the rate it decays from. */
  alpha?: number;
  name?: string;
  /** When set, the rate first rises linearly from `initialLearningRate` to this over `warmupSteps`, then decays from it. */
  warmupTarget?: number | null;
  warmupSteps?: number;
}

export class CosineDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly name: string;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(options: CosineDecayOptions) {
    super();
    checkOptionKeys(
      options,
      ["initialLearningRate", "decaySteps", "alpha", "name", "warmupTarget", "warmupSteps"],
      "CosineDecay",
      (m) => new ValueError(m),
    );
    this.initialLearningRate = finiteNumber(options.initialLearningRate, "initialLearningRate", "CosineDecay");
    this.decaySteps = positiveSteps(options.decaySteps, "decaySteps", "CosineDecay");
    this.alpha = finiteNumber(options.alpha ?? 0.0, "alpha", "CosineDecay");
    this.name = options.name ?? "CosineDecay";
    this.warmupTarget = options.warmupTarget ?? null;
    if (this.warmupTarget !== null) finiteNumber(this.warmupTarget, "warmupTarget", "CosineDecay");
    this.warmupSteps = finiteNumber(options.warmupSteps ?? 0, "warmupSteps", "CosineDecay");
  }

  get className(): string {
    return "CosineDecay";
  }

  private decay(step: number, from: number): number {
    const fraction = f(step / f(this.decaySteps));
    const cosine = f(0.5 * f(1 + f(Math.cos(f(f(Math.PI) * fraction)))));
    const decayed = f(f(f(1 - this.alpha) * cosine) + f(this.alpha));
    return f(from * decayed);
  }

  call(step: number): number {
    const initial = f(this.initialLearningRate);
    const decaySteps = f(this.decaySteps);
    if (this.warmupTarget === null) return this.decay(Math.min(f(step), decaySteps), initial);
    const target = f(this.warmupTarget);
    const warmupSteps = f(this.warmupSteps);
    const current = Math.min(f(step), f(decaySteps + warmupSteps));
    if (current < warmupSteps) {
      return f(f(f(target - initial) * f(current / warmupSteps)) + initial);
    }
    return this.decay(f(current - warmupSteps), target);
  }

  getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate,
      decay_steps: this.decaySteps,
      alpha: this.alpha,
      name: this.name,
      warmup_target: this.warmupTarget,
      warmup_steps: this.warmupSteps,
    };
  }
}

export interface CosineDecayRestartsOptions {
  initialLearningRate: number;
  firstDecaySteps: number;
  /** Each period is `tMul` times longer than the previous one. */
  tMul?: number;
  /** Each restart begins at `mMul` times the previous starting rate. */
  mMul?: number;
  alpha?: number;
  name?: string;
}

/** Cosine decay with warm restarts (SGDR, Loshchilov and Hutter, 2017). */
export class CosineDecayRestarts extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  readonly name: string;

  constructor(options: CosineDecayRestartsOptions) {
    super();
    checkOptionKeys(
      options,
      ["initialLearningRate", "firstDecaySteps", "tMul", "mMul", "alpha", "name"],
      "CosineDecayRestarts",
      (m) => new ValueError(m),
    );
    this.initialLearningRate = finiteNumber(options.initialLearningRate, "initialLearningRate", "CosineDecayRestarts");
    this.firstDecaySteps = positiveSteps(options.firstDecaySteps, "firstDecaySteps", "CosineDecayRestarts");
    this.tMul = finiteNumber(options.tMul ?? 2.0, "tMul", "CosineDecayRestarts");
    this.mMul = finiteNumber(options.mMul ?? 1.0, "mMul", "CosineDecayRestarts");
    this.alpha = finiteNumber(options.alpha ?? 0.0, "alpha", "CosineDecayRestarts");
    this.name = options.name ?? "SGDRDecay";
  }

  get className(): string {
    return "CosineDecayRestarts";
  }

  call(step: number): number {
    const tMul = f(this.tMul);
    let fraction = f(f(step) / f(this.firstDecaySteps));
    let restart: number;
    if (tMul === 1) {
      restart = Math.floor(fraction);
      fraction = f(fraction - restart);
    } else {
      // Period i lasts tMul^i times the first one, so the restart index solves a geometric sum.
      restart = Math.floor(f(f(Math.log(f(1 - f(fraction * f(1 - tMul))))) / f(Math.log(tMul))));
      const completedPeriods = f(f(1 - f(Math.pow(tMul, restart))) / f(1 - tMul));
      fraction = f(f(fraction - completedPeriods) / f(Math.pow(tMul, restart)));
    }
    const startScale = f(Math.pow(f(this.mMul), restart));
    const cosine = f(f(0.5 * startScale) * f(1 + f(Math.cos(f(f(Math.PI) * fraction)))));
    const decayed = f(f(f(1 - this.alpha) * cosine) + f(this.alpha));
    return f(f(this.initialLearningRate) * decayed);
  }

  getConfig(): Record<string, unknown> {
    return {
      initial_learning_rate: this.initialLearningRate,
      first_decay_steps: this.firstDecaySteps,
      t_mul: this.tMul,
      m_mul: this.mMul,
      alpha: this.alpha,
      name: this.name,
    };
  }
}

type ScheduleFactory = (config: Record<string, unknown>) => LearningRateSchedule;

// Keras config keys and the option names they map to, per schedule.
const SCHEDULE_OPTIONS: Record<string, [ScheduleFactory, Record<string, string>]> = {
  ExponentialDecay: [
    (o) => new ExponentialDecay(o as unknown as ExponentialDecayOptions),
    { initial_learning_rate: "initialLearningRate", decay_steps: "decaySteps", decay_rate: "decayRate", staircase: "staircase", name: "name" },
  ],
  PiecewiseConstantDecay: [
    (o) => new PiecewiseConstantDecay(o as unknown as PiecewiseConstantDecayOptions),
    { boundaries: "boundaries", values: "values", name: "name" },
  ],
  PolynomialDecay: [
    (o) => new PolynomialDecay(o as unknown as PolynomialDecayOptions),
    {
      initial_learning_rate: "initialLearningRate",
      decay_steps: "decaySteps",
      end_learning_rate: "endLearningRate",
      power: "power",
      cycle: "cycle",
      name: "name",
    },
  ],
  InverseTimeDecay: [
    (o) => new InverseTimeDecay(o as unknown as InverseTimeDecayOptions),
    { initial_learning_rate: "initialLearningRate", decay_steps: "decaySteps", decay_rate: "decayRate", staircase: "staircase", name: "name" },
  ],
  CosineDecay: [
    (o) => new CosineDecay(o as unknown as CosineDecayOptions),
    {
      initial_learning_rate: "initialLearningRate",
      decay_steps: "decaySteps",
      alpha: "alpha",
      name: "name",
      warmup_target: "warmupTarget",
      warmup_steps: "warmupSteps",
    },
  ],
  CosineDecayRestarts: [
    (o) => new CosineDecayRestarts(o as unknown as CosineDecayRestartsOptions),
    { initial_learning_rate: "initialLearningRate", first_decay_steps: "firstDecaySteps", t_mul: "tMul", m_mul: "mMul", alpha: "alpha", name: "name" },
  ],
};

/** Wraps a schedule in Keras's serialization envelope. */
export function serialize(schedule: LearningRateSchedule): Record<string, unknown> {
  return { module: "keras.optimizers.schedules", class_name: schedule.className, config: schedule.getConfig(), registered_name: null };
}

/** Rebuilds a schedule from `serialize`'s output (or a bare `{ class_name, config }`). */
export function deserialize(serialized: { class_name?: unknown; config?: unknown }): LearningRateSchedule {
  const className = serialized.class_name;
  const entry = typeof className === "string" ? SCHEDULE_OPTIONS[className] : undefined;
  if (!entry) {
    const names = Object.keys(SCHEDULE_OPTIONS);
    throw new ValueError(
      `Unknown learning-rate schedule ${JSON.stringify(className)}.${didYouMean(String(className), names)} Valid schedules: ${formatChoices(names)}.`,
    );
  }
  const [create, keys] = entry;
  const config = (serialized.config ?? {}) as Record<string, unknown>;
  checkOptionKeys(config, Object.keys(keys), `${className} config`, (m) => new ValueError(m));
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== null) options[keys[key]!] = value;
  }
  return create(options);
}
