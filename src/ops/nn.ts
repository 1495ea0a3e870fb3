import { ShapeError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { isRecordedOutput, record, shouldRecord } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { type RandomGenerator, globalRandom } from "../random.js";
import { emptyLike, floatData, floatDType, sameFloatDType } from "./util.js";
import { mul } from "./elementwise.js";

/**
 * Softmax outputs mapped to the logits they came from. Crossentropy on such an
 * output differentiates straight to the logits in one fused kernel. The value
 * it computes is unchanged (still clipped), so this is an optimization only.
 */
const softmaxInputs = new WeakMap<Tensor, Tensor>();

/** Softmax over the last axis, stable for large inputs (softmax([1000, 0]) is [1, 0]). */
export function softmax(x: Tensor): Tensor {
  const dtype = floatDType(x, "softmax");
  if (x.rank === 0) throw new ShapeError("softmax needs a tensor of rank 1 or more, received a scalar.");
  const cols = x.shape[x.rank - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = emptyLike(dtype, x.shape);
  getBackend().softmax(floatData(x, "softmax"), out.data as FloatArray, rows, cols);
  if (shouldRecord([x])) softmaxInputs.set(out, x);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    getBackend().softmaxBackward(out.data as FloatArray, dy.data as FloatArray, dx.data as FloatArray, rows, cols);
    return [dx];
  });
}

function checkSameShape(yTrue: Tensor, yPred: Tensor, loss: string): void {
  if (yTrue.rank !== yPred.rank || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new ShapeError(
      `${loss} needs labels with the shape of the predictions: received labels of shape ${formatShape(yTrue.shape)} ` +
        `and predictions of shape ${formatShape(yPred.shape)}.`,
    );
  }
}

/**
 * Per-sample categorical crossentropy on probabilities, computed as Keras
 * does: renormalize each row, clip to [epsilon, 1 − epsilon], then −Σ y · log p.
 * Returns a tensor of the predictions' shape without the last axis.
 */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, epsilon: number): Tensor {
  const dtype = sameFloatDType(yPred, yTrue, "categorical_crossentropy");
  checkSameShape(yTrue, yPred, "categorical_crossentropy");
  const classes = yPred.shape[yPred.rank - 1]!;
  const rows = classes === 0 ? 0 : yPred.size / classes;
  const out = emptyLike(dtype, yPred.shape.slice(0, -1));
  getBackend().categoricalCrossentropy({
    probs: yPred.data as FloatArray,
    labels: yTrue.data as FloatArray,
    loss: out.data as FloatArray,
    rows,
    classes,
    epsilon,
  });
  return recordCrossentropy(yTrue, yPred, out, rows, classes, epsilon, false);
}

/**
 * Per-sample sparse categorical crossentropy. `labels` contains one class
 * index per prediction row (the predictions' shape minus the last axis).
 */
export function sparseCategoricalCrossentropy(labels: Int32Array, yPred: Tensor, epsilon: number): Tensor {
  const dtype = floatDType(yPred, "sparse_categorical_crossentropy");
  const classes = yPred.shape[yPred.rank - 1]!;
  const rows = classes === 0 ? 0 : yPred.size / classes;
  if (labels.length !== rows) {
    throw new ShapeError(
      `sparse_categorical_crossentropy needs one class index per prediction row: received ${labels.length} labels for predictions of shape ${formatShape(yPred.shape)}.`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label < 0 || label >= classes) {
      throw new ValueError(
        `Invalid class label ${label} at index ${i}: predictions have ${classes} classes, so labels must be integers in [0, ${classes - 1}].`,
      );
    }
  }
  const out = emptyLike(dtype, yPred.shape.slice(0, -1));
  getBackend().sparseCategoricalCrossentropy({
    probs: yPred.data as FloatArray,
    labels,
    loss: out.data as FloatArray,
    rows,
    classes,
    epsilon,
  });
  const labelTensor = new Tensor(labels, [labels.length]);
  return recordCrossentropy(labelTensor, yPred, out, rows, classes, epsilon, true);
}

function recordCrossentropy(
  yTrue: Tensor,
  yPred: Tensor,
  out: Tensor,
  rows: number,
  classes: number,
  epsilon: number,
  sparse: boolean,
): Tensor {
  const dtype = yPred.dtype as FloatDType;
  // The fused path is valid only when the softmax that produced `yPred` is on the active tape. A softmax
  // output recorded on an earlier tape is a constant (or a source) here, so its gradient goes to `yPred`.
  const logits = isRecordedOutput(yPred) ? softmaxInputs.get(yPred) : undefined;
  const target = logits ?? yPred;
  return record([target], out, (dy) => {
    const grad = emptyLike(dtype, yPred.shape);
    getBackend().crossentropyBackward({
      probs: yPred.data as FloatArray,
      labels: yTrue.data as FloatArray | Int32Array,
      dLoss: dy.data as FloatArray,
      grad: grad.data as FloatArray,
      rows,
      classes,
      epsilon,
      sparse,
      throughSoftmax: logits !== undefined,
    });
    return [grad];
  });
}

/** Per-sample binary crossentropy on probabilities clipped to [epsilon, 1 − epsilon], averaged over the last axis. */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, epsilon: number): Tensor {
  const dtype = sameFloatDType(yPred, yTrue, "binary_crossentropy");
  checkSameShape(yTrue, yPred, "binary_crossentropy");
  const cols = yPred.rank === 0 ? 1 : yPred.shape[yPred.rank - 1]!;
  const rows = cols === 0 ? 0 : yPred.size / cols;
  const out = emptyLike(dtype, yPred.shape.slice(0, -1));
  const backend = getBackend();
  backend.binaryCrossentropy({
    probs: yPred.data as FloatArray,
    labels: yTrue.data as FloatArray,
    loss: out.data as FloatArray,
    rows,
    cols,
    epsilon,
  });
  return record([yPred], out, (dy) => {
    const grad = emptyLike(dtype, yPred.shape);
    getBackend().binaryCrossentropyBackward({
      probs: yPred.data as FloatArray,
      labels: yTrue.data as FloatArray,
      dLoss: dy.data as FloatArray,
      grad: grad.data as FloatArray,
      rows,
      cols,
      epsilon,
    });
    return [grad];
  });
}

/**
 * Inverted dropout: each element is kept with probability 1 − rate and then
 * scaled by 1 / (1 − rate), so the expected value is unchanged.
 */
export function dropout(x: Tensor, rate: number, generator: RandomGenerator = globalRandom()): Tensor {
  const dtype = floatDType(x, "dropout");
  if (rate <= 0) return x;
  const keep = 1 - rate;
  const mask = emptyLike(dtype, x.shape);
  const scale = 1 / keep;
  for (let i = 0; i < mask.size; i++) mask.data[i] = generator.uniform() < keep ? scale : 0;
  return mul(x, mask);
}
