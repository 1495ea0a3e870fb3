"""Compute every implemented keras.losses class on fixed inputs, with gradients.

Each case builds one loss class from keyword arguments, applies it to
float32 labels and predictions (int32 labels for the sparse crossentropy)
with an optional sample weight, and records the value and d(loss)/d(y_pred)
from jax.grad. Predictions are kept away from the kinks of the piecewise
losses, where Keras and Stratum may pick different subgradients.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/losses_all.py
"""

import jax
import keras
import numpy as np

from reference_io import to_list, write_json

L = keras.losses

PROBS = [[0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.7, 0.25, 0.05]]
ONE_HOT = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
SOFT = [[0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]
LOGITS = [[1.5, -0.3, 2.2], [-1.0, 0.4, 0.1], [3.1, -2.0, 0.7]]
BINARY_TRUE = [[1, 0, 1], [0, 0, 1]]
BINARY_PRED = [[0.8, 0.3, 0.55], [0.1, 0.45, 0.9]]
BINARY_LOGITS = [[2.0, -1.0, 0.3], [-2.5, 0.4, 1.7]]
REG_TRUE = [[1.0, 2.0, -0.5], [0.3, -1.2, 2.5]]
REG_PRED = [[1.4, 1.1, 0.2], [0.25, -2.9, 2.2]]
POSITIVE_TRUE = [[1.0, 2.0, 0.5], [0.3, 1.2, 2.5]]
POSITIVE_PRED = [[1.4, 1.1, 0.2], [0.25, 2.9, 2.2]]
DIST_TRUE = [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]
DIST_PRED = [[0.3, 0.4, 0.3], [0.2, 0.5, 0.3]]
SEG_TRUE = [[[1, 0], [1, 1]], [[0, 0], [1, 0]]]
SEG_PRED = [[[0.9, 0.2], [0.6, 0.7]], [[0.1, 0.3], [0.8, 0.4]]]


def compute_case(name, class_name, kwargs, y_true, y_pred, sample_weight=None):
    sparse = class_name == "SparseCategoricalCrossentropy"
    y_true = np.asarray(y_true, dtype="int32" if sparse else "float32")
    y_pred = np.asarray(y_pred, dtype="float32")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype="float32")
    loss = getattr(L, class_name)(**kwargs)

    def loss_of_prediction(prediction):
        return loss(y_true, prediction, sample_weight=sample_weight)

    value = loss_of_prediction(y_pred)
    scalar_output = np.ndim(value) == 0
    if scalar_output:
        grad = jax.grad(loss_of_prediction)(y_pred)
    else:
        grad = jax.grad(lambda p: loss_of_prediction(p).sum())(y_pred)
    return {
        "name": name,
        "class_name": class_name,
        "kwargs": kwargs,
        "config": loss.get_config(),
        "y_true": to_list(y_true),
        "y_pred": to_list(y_pred),
        "sample_weight": None if sample_weight is None else to_list(sample_weight),
        "expected": to_list(value),
        "grad_of_sum": not scalar_output,
        "grad": to_list(grad),
    }


def cases():
    c = compute_case
    cce = "CategoricalCrossentropy"
    scce = "SparseCategoricalCrossentropy"
    bce = "BinaryCrossentropy"
    return [
        c("cce probabilities", cce, {}, ONE_HOT, PROBS),
        c("cce soft labels", cce, {}, SOFT, PROBS),
        c("cce from logits", cce, {"from_logits": True}, ONE_HOT, LOGITS),
        c("cce label smoothing", cce, {"label_smoothing": 0.2}, ONE_HOT, PROBS),
        c("cce smoothing from logits", cce, {"label_smoothing": 0.1, "from_logits": True}, SOFT, LOGITS),
        c("cce axis 0", cce, {"axis": 0}, ONE_HOT, PROBS),
        c("cce axis 0 from logits", cce, {"axis": 0, "from_logits": True}, SOFT, LOGITS),
        c("cce reduction none", cce, {"reduction": "none"}, ONE_HOT, PROBS),
        c("scce probabilities", scce, {}, [1, 2, 0], PROBS),
        c("scce labels with unit axis", scce, {}, [[1], [2], [0]], PROBS),
        c("scce from logits", scce, {"from_logits": True}, [2, 0, 1], LOGITS),
        c("scce ignore class", scce, {"ignore_class": -1}, [1, -1, 0], PROBS),
        c("scce ignore class from logits", scce, {"ignore_class": 2, "from_logits": True}, [2, 1, 0], LOGITS),
        c("scce ignore class sum", scce, {"ignore_class": -1, "reduction": "sum"}, [1, -1, 0], PROBS),
        c("scce ignore class weighted", scce, {"ignore_class": -1}, [1, -1, 0], PROBS, [0.5, 2.0, 1.5]),
        c("bce probabilities", bce, {}, BINARY_TRUE, BINARY_PRED),
        c("bce from logits", bce, {"from_logits": True}, BINARY_TRUE, BINARY_LOGITS),
        c("bce label smoothing", bce, {"label_smoothing": 0.2}, BINARY_TRUE, BINARY_PRED),
        c("bce smoothing from logits", bce, {"label_smoothing": 0.1, "from_logits": True}, BINARY_TRUE, BINARY_LOGITS),
        c("bce axis 0", bce, {"axis": 0}, BINARY_TRUE, BINARY_PRED),
        c("bce rank 1 labels", bce, {}, [1, 0], [[0.8], [0.4]]),
        c("bce from logits large", bce, {"from_logits": True}, [[1, 0]], [[-80.0, 90.0]]),
        c("binary focal", "BinaryFocalCrossentropy", {}, BINARY_TRUE, BINARY_PRED),
        c("binary focal balanced", "BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3}, BINARY_TRUE, BINARY_PRED),
        c("binary focal from logits", "BinaryFocalCrossentropy", {"from_logits": True, "gamma": 3.0}, BINARY_TRUE, BINARY_LOGITS),
        c("binary focal smoothing", "BinaryFocalCrossentropy", {"label_smoothing": 0.1, "gamma": 1.5}, BINARY_TRUE, BINARY_PRED),
        c("categorical focal", "CategoricalFocalCrossentropy", {}, ONE_HOT, PROBS),
        c("categorical focal from logits", "CategoricalFocalCrossentropy", {"from_logits": True, "gamma": 1.0}, SOFT, LOGITS),
        c("categorical focal class alpha", "CategoricalFocalCrossentropy", {"alpha": [0.1, 0.3, 0.6]}, ONE_HOT, PROBS),
        c("categorical focal smoothing", "CategoricalFocalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, PROBS),
        c("mse", "MeanSquaredError", {}, REG_TRUE, REG_PRED),
        c("mse sum", "MeanSquaredError", {"reduction": "sum"}, REG_TRUE, REG_PRED),
        c("mse none", "MeanSquaredError", {"reduction": None}, REG_TRUE, REG_PRED),
        c("mse weighted", "MeanSquaredError", {}, REG_TRUE, REG_PRED, [1.0, 0.0]),
        c("mse mean with sample weight", "MeanSquaredError", {"reduction": "mean_with_sample_weight"}, REG_TRUE, REG_PRED, [0.5, 2.0]),
        c("mse rank 1 labels", "MeanSquaredError", {}, [1.0, 0.0], [[0.5], [0.25]]),
        c("mae", "MeanAbsoluteError", {}, REG_TRUE, REG_PRED),
        c("mape", "MeanAbsolutePercentageError", {}, REG_TRUE, REG_PRED),
        c("mape zero label", "MeanAbsolutePercentageError", {}, [[0.0, 1.0]], [[0.5, 1.5]]),
        c("msle", "MeanSquaredLogarithmicError", {}, POSITIVE_TRUE, POSITIVE_PRED),
        c("huber", "Huber", {}, REG_TRUE, REG_PRED),
        c("huber delta", "Huber", {"delta": 0.5}, REG_TRUE, REG_PRED),
        c("log cosh", "LogCosh", {}, REG_TRUE, REG_PRED),
        c("kl divergence", "KLDivergence", {}, DIST_TRUE, DIST_PRED),
        c("poisson", "Poisson", {}, POSITIVE_TRUE, POSITIVE_PRED),
        c("hinge binary labels", "Hinge", {}, BINARY_TRUE, REG_PRED),
        c("hinge signed labels", "Hinge", {}, [[1, -1, 1], [-1, -1, 1]], REG_PRED),
        c("squared hinge", "SquaredHinge", {}, BINARY_TRUE, REG_PRED),
        c("categorical hinge", "CategoricalHinge", {}, ONE_HOT, LOGITS),
        c("cosine similarity", "CosineSimilarity", {}, REG_TRUE, REG_PRED),
        c("cosine similarity axis 0", "CosineSimilarity", {"axis": 0}, REG_TRUE, REG_PRED),
        c("cosine similarity zero vector", "CosineSimilarity", {}, [[0.0, 0.0]], [[0.5, 0.2]]),
        c("dice", "Dice", {}, SEG_TRUE, SEG_PRED),
        c("dice axis", "Dice", {"axis": (1, 2)}, SEG_TRUE, SEG_PRED),
        c("tversky", "Tversky", {}, SEG_TRUE, SEG_PRED),
        c("tversky weighted axis", "Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2)}, SEG_TRUE, SEG_PRED),
    ]


def main():
    write_json("losses_all.json", {"cases": cases()})


if __name__ == "__main__":
    main()
