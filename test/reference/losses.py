"""Compute Keras loss values and their gradients with respect to y_pred.

Each case runs a keras.losses class at its default reduction
("sum_over_batch_size") and records the loss and d(loss)/d(y_pred) from
jax.grad. All inputs are float32, except integer labels for the sparse loss.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/losses.py
"""

import jax
import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 1234

LOSS_CLASSES = {
    "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
    "binary_crossentropy": keras.losses.BinaryCrossentropy,
    "mean_squared_error": keras.losses.MeanSquaredError,
}


def compute_case(name, loss_name, y_true, y_pred, sample_weight=None):
    """Return one JSON case with the loss value and its gradient."""
    integer_labels = loss_name == "sparse_categorical_crossentropy"
    y_true = np.asarray(y_true, dtype="int32" if integer_labels else "float32")
    y_pred = np.asarray(y_pred, dtype="float32")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype="float32")
    loss = LOSS_CLASSES[loss_name]()

    def loss_of_prediction(prediction):
        return loss(y_true, prediction, sample_weight=sample_weight)

    value, grad = jax.value_and_grad(loss_of_prediction)(y_pred)
    return {
        "name": name,
        "loss": loss_name,
        "y_true": to_list(y_true),
        "y_pred": to_list(y_pred),
        "sample_weight": None if sample_weight is None else to_list(sample_weight),
        "expected": float(value),
        "grad": to_list(grad),
    }


def hand_written_cases():
    cce = "categorical_crossentropy"
    scce = "sparse_categorical_crossentropy"
    bce = "binary_crossentropy"
    mse = "mean_squared_error"
    mse_true = [[1, 2], [3, 4]]
    mse_pred = [[1.5, 2], [2, 4]]
    return [
        compute_case("cce basic", cce, [[0, 1, 0]], [[0.05, 0.95, 0]]),
        compute_case("cce clipping of zero", cce, [[0, 1, 0]], [[0.5, 0, 0.5]]),
        compute_case("cce renormalisation", cce, [[0, 1, 0]], [[1, 1, 2]]),
        compute_case("cce wrong class", cce, [[1, 0]], [[0, 1]]),
        compute_case("scce basic", scce, [1], [[0.05, 0.95, 0]]),
        compute_case("scce labels shape (N,1)", scce, [[1]], [[0.05, 0.95, 0]]),
        compute_case("bce two samples", bce, [[1], [0]], [[0.9], [0.2]]),
        compute_case("bce clipping of zero", bce, [[1]], [[0]]),
        compute_case("mse basic", mse, mse_true, mse_pred),
        compute_case("mse sample_weight", mse, mse_true, mse_pred, [1, 0]),
    ]


def random_cases(rng):
    cases = []
    for index in range(3):
        logits = rng.normal(size=(4, 5)).astype("float32")
        probabilities = keras.ops.softmax(logits, axis=-1)
        labels = rng.integers(0, 5, size=(4,)).astype("int32")
        one_hot = np.eye(5, dtype="float32")[labels]
        binary_targets = rng.integers(0, 2, size=(4, 5)).astype("float32")
        cases.append(
            compute_case(
                f"cce random {index}",
                "categorical_crossentropy",
                one_hot,
                probabilities,
            )
        )
        cases.append(
            compute_case(
                f"scce random {index}",
                "sparse_categorical_crossentropy",
                labels,
                probabilities,
            )
        )
        cases.append(
            compute_case(
                f"bce random {index}",
                "binary_crossentropy",
                binary_targets,
                probabilities,
            )
        )
    # Sigmoid outputs cover the full (0, 1) range per column, unlike softmax rows.
    sigmoid_probabilities = keras.ops.sigmoid(
        rng.normal(scale=2.0, size=(4, 5)).astype("float32")
    )
    cases.append(
        compute_case(
            "bce random sigmoid",
            "binary_crossentropy",
            rng.integers(0, 2, size=(4, 5)).astype("float32"),
            sigmoid_probabilities,
        )
    )
    return cases


def uniform_prediction_cases():
    """Four samples of ten classes, every prediction exactly 0.1."""
    one_hot = np.eye(10, dtype="float32")[[3, 7, 1, 5]]
    uniform = np.full((4, 10), 0.1, dtype="float32")
    return [
        compute_case("bce uniform 0.1", "binary_crossentropy", one_hot, uniform),
        compute_case("cce uniform 0.1", "categorical_crossentropy", one_hot, uniform),
    ]


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    cases = hand_written_cases() + random_cases(rng) + uniform_prediction_cases()
    write_json("losses.json", {"seed": SEED, "cases": cases})


if __name__ == "__main__":
    main()
