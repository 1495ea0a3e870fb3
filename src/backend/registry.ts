import { ValueError, formatChoices } from "../errors.js";
import type { Backend } from "./backend.js";
import { TypeScriptBackend } from "./typescript/index.js";

const factories = new Map<string, () => Backend>([["typescript", () => new TypeScriptBackend()]]);
const instances = new Map<string, Backend>();
let active: Backend | null = null;

/** Makes a backend available to `setBackend` under `name`. */
export function registerBackend(name: string, factory: () => Backend): void {
  factories.set(name, factory);
}

/** Names of the registered backends, in registration order. */
export function listBackends(): string[] {
  return [...factories.keys()];
}

function instantiate(name: string): Backend {
  let instance = instances.get(name);
  if (!instance) {
    const factory = factories.get(name);
    if (!factory) {
      throw new ValueError(
        `Unknown backend "${name}". Available backends: ${formatChoices(listBackends())}.`,
      );
    }
    instance = factory();
    instances.set(name, instance);
  }
  return instance;
}

/** Selects the backend that every following computation uses. */
export function setBackend(name: string): void {
  active = instantiate(name);
}

/** Returns the active backend, choosing the TypeScript reference backend by default. */
export function getBackend(): Backend {
  if (!active) active = instantiate("typescript");
  return active;
}
