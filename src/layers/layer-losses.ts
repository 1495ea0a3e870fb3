import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Layer } from "./layer.js";

/**
 * Returns `root` and every layer inside it: tracked layers, and for models
 * the layers of their `layers` list, depth first, each layer once.
 */
function layersWithin(root: Layer): Layer[] {
  const found: Layer[] = [];
  const visit = (layer: Layer): void => {
    if (found.includes(layer)) return;
    found.push(layer);
    const listed = (layer as { layers?: unknown }).layers;
    const children = Array.isArray(listed) ? (listed as Layer[]) : [];
    for (const child of [...layer.trackedLayers, ...children]) visit(child);
  };
  visit(root);
  return found;
}

/** Returns the losses that `root` and the layers inside it added since they were last cleared. */
export function collectLayerLosses(root: Layer): Tensor[] {
  const losses: Tensor[] = [];
  for (const layer of layersWithin(root)) {
    for (const loss of layer.losses) if (!losses.includes(loss)) losses.push(loss);
  }
  return losses;
}

/** Clears the added losses of `root` and every layer inside it; a model calls it before each step. */
export function clearLayerLosses(root: Layer): void {
  for (const layer of layersWithin(root)) layer.clearLosses();
}

/**
 * Returns `total` plus the sum of every loss that `root` and the layers
 * inside it added (each summed to a scalar first, as Keras does), or `total`
 * itself when there are none.
 */
export function addLayerLosses(total: Tensor, root: Layer): Tensor {
  let result = total;
  for (const loss of collectLayerLosses(root)) {
    result = ops.add(result, loss.rank === 0 ? loss : ops.sum(loss));
  }
  return result;
}
