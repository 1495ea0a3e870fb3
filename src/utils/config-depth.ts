/**
 * A bound on how deeply a serialized config may nest. Config code walks
 * configs recursively (and `JSON.stringify` in error messages recurses
 * too), so a config nested 100,000 levels deep would overflow the stack.
 * Configs that Keras writes nest about ten levels (each nested functional
 * model adds a few), so the bound leaves ample room.
 */

import { ValueError } from "../errors.js";

export const MAX_CONFIG_DEPTH = 512;

/** Returns how deeply `value` nests arrays and objects, counting up to `limit + 1` at most; iterative, so deep values cannot overflow the stack. */
export function configDepth(value: unknown, limit = MAX_CONFIG_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === "object") stack.push([child, level]);
    }
  }
  return deepest;
}

/** Throws a ValueError when `value` nests more than MAX_CONFIG_DEPTH levels; `what` names the config in the message. */
export function checkConfigDepth(value: unknown, what: string): void {
  if (configDepth(value) > MAX_CONFIG_DEPTH) {
    throw new ValueError(
      `Rejected ${what}: it nests arrays and objects more than ${MAX_CONFIG_DEPTH} levels deep, far more than any Keras config does. The file is probably corrupted or crafted.`,
    );
  }
}
