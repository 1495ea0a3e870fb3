/**
 * JSON text as Python's `json.dumps` writes it with its defaults (what Keras
 * uses for `config.json`): `", "` and `": "` separators, non-ASCII escaped
 * as \uXXXX, and floats in Python's repr form (`1e-07`, `1e+16`).
 */

/** Formats a number as Python's `repr(float)` (or `int`) does. */
function pythonNumber(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  // Python switches to exponent form below 1e-4 and from 1e16 on; JavaScript below 1e-6 and from 1e21.
  if (exponent < -4 || exponent >= 16) {
    const [mantissa, power] = value.toExponential().split("e") as [string, string];
    const sign = power.startsWith("-") ? "-" : "+";
    const digits = power.replace(/^[+-]/, "").padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return String(value);
}

function pythonString(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Serializes `value` as Python's `json.dumps(value)` would. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return pythonNumber(value);
  if (typeof value === "string") return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pythonString(k)}: ${pythonJsonDumps(v)}`).join(", ")}}`;
  }
  throw new TypeError(`Cannot serialize a ${typeof value} as JSON.`);
}
