import { getBackend, listBackends, setBackend } from "../../src/backend/registry.js";

/**
 * Runs `body` once per registered backend, with that backend active, and
 * restores the previous backend afterwards. Numeric tests use it so that
 * every backend is held to the same expectations as the reference one.
 */
export function forEachBackend(body: (backendName: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const previous = getBackend().name;
    try {
      for (const name of listBackends()) {
        setBackend(name);
        await body(name);
      }
    } finally {
      setBackend(previous);
    }
  };
}
