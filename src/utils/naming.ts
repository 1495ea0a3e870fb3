/** Keras's automatic names: snake_case of the class name plus a per-prefix counter. */

const counters = new Map<string, number>();

/** Converts a class name to snake_case the way Keras does (`BatchNormalization` → `batch_normalization`). */
export function toSnakeCase(name: string): string {
  const intermediate = name.replace(/\W+/g, "").replace(/(.)([A-Z][a-z]+)/g, "$1_$2");
  return intermediate.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Converts a snake_case key to camelCase (`use_causal_mask` → `useCausalMask`). */
export function toCamelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** Returns `prefix` the first time, then `prefix_1`, `prefix_2`, … */
export function uniqueName(prefix: string): string {
  const count = counters.get(prefix) ?? 0;
  counters.set(prefix, count + 1);
  return count === 0 ? prefix : `${prefix}_${count}`;
}

/** Resets every automatic-name counter, like `keras.utils.clear_session()`. */
export function clearSession(): void {
  counters.clear();
}
