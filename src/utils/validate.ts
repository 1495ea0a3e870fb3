import { ValueError } from "../errors.js";

/**
 * Returns `value` when it is a positive integer, else throws a ValueError that
 * names the argument, its owner (a method or a quoted layer name) and the value.
 */
export function checkPositiveInteger(value: unknown, argument: string, owner: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(`Invalid \`${argument}\` for ${owner}: expected a positive integer, received ${JSON.stringify(value)}.`);
  }
  return value;
}
