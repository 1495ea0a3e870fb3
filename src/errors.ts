/** Base class of every error Stratum throws on purpose. */
export class StratumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument has the right type but an invalid value. */
export class ValueError extends StratumError {}

/** A tensor or array has a shape that does not fit the operation. */
export class ShapeError extends ValueError {}

/** A layer or model is used before its weights exist. */
export class NotBuiltError extends StratumError {}

/** Formats a shape the way Keras prints it: `(None, 784)`. */
export function formatShape(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? "None" : String(d)));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
}

/** Formats a list of valid names for an error message. */
export function formatChoices(choices: readonly string[]): string {
  return choices.map((c) => `"${c}"`).join(", ");
}
