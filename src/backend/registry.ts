import { availableParallelism } from "node:os";
import { ValueError, formatChoices } from "../errors.js";
import { info } from "../logger.js";
import type { Backend } from "./backend.js";
import { NativeBackend, loadNativeAddon } from "./native/index.js";
import { TypeScriptBackend } from "./typescript/index.js";

const factories = new Map<string, () => Backend>([["typescript", () => new TypeScriptBackend()]]);
/** Other names accepted by `setBackend` and `STRATUM_BACKEND`. */
const aliases: Record<string, string> = { js: "typescript", ts: "typescript" };
const instances = new Map<string, Backend>();
let active: Backend | null = null;

const native = loadNativeAddon();
if ("addon" in native) {
  const addon = native.addon;
  factories.set("native", () => {
    const requested = Number(process.env["STRATUM_NUM_THREADS"]);
    addon.setThreads(Number.isInteger(requested) && requested > 0 ? requested : availableParallelism());
    return new NativeBackend(addon);
  });
}

/** Returns why the native backend is missing, or null when it loaded. */
export function nativeBackendError(): string | null {
  return "error" in native ? native.error : null;
}

/** Makes a backend available to `setBackend` under `name`. */
export function registerBackend(name: string, factory: () => Backend): void {
  factories.set(name, factory);
}

/** Names of the registered backends, in registration order. */
export function listBackends(): string[] {
  return [...factories.keys()];
}

function instantiate(requested: string): Backend {
  const name = aliases[requested] ?? requested;
  let instance = instances.get(name);
  if (!instance) {
    const factory = factories.get(name);
    if (!factory) {
      const nativeHint =
        name === "native" && "error" in native
          ? ` The native backend is not available: ${native.error}. Rebuild it with \`npm rebuild stratum-ml\`.`
          : "";
      throw new ValueError(`Unknown backend "${requested}".${nativeHint} Available backends: ${formatChoices(listBackends())}.`);
    }
    instance = factory();
    instances.set(name, instance);
  }
  return instance;
}

/** Selects the backend that every following computation uses ("native", or "typescript", also called "js"). */
export function setBackend(name: string): void {
  active = instantiate(name);
}

/**
 * Returns the active backend. The first call picks `STRATUM_BACKEND` when it
 * is set, else the native backend when it loaded, else the TypeScript one
 * (with one line on stderr that gives the reason).
 */
export function getBackend(): Backend {
  if (!active) {
    const requested = process.env["STRATUM_BACKEND"];
    if (requested) {
      active = instantiate(requested);
    } else if (factories.has("native")) {
      active = instantiate("native");
    } else {
      info(
        `using the TypeScript backend because the native one is not available (${nativeBackendError()}). ` +
          "Rebuild it with `npm rebuild stratum-ml`.",
      );
      active = instantiate("typescript");
    }
  }
  return active;
}
