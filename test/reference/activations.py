"""Compute keras.activations outputs on a fixed float32 input matrix.

The input is a seeded 3x4 matrix rescaled to span exactly [-6, 6] plus the row
[1000, 0, -1000, 0.5], which checks overflow handling. Softmax applies to the
last axis. Two extra softmax cases cover a 1-D input and a saturated row.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/activations.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 1234
ACTIVATION_NAMES = ["relu", "sigmoid", "tanh", "softmax", "linear"]


def build_input(rng):
    random_rows = rng.normal(size=(3, 4))
    # Rescale linearly so the minimum is exactly -6 and the maximum exactly 6.
    low, high = random_rows.min(), random_rows.max()
    random_rows = -6.0 + 12.0 * (random_rows - low) / (high - low)
    extreme_row = [[1000.0, 0.0, -1000.0, 0.5]]
    return np.concatenate([random_rows, extreme_row]).astype("float32")


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    x = build_input(rng)
    cases = []
    for name in ACTIVATION_NAMES:
        activation = keras.activations.get(name)
        cases.append({"name": name, "x": to_list(x), "expected": to_list(activation(x))})
    for x_extra in ([1.0, 2.0, 3.0], [[1000.0, 0.0]]):
        x_extra = np.asarray(x_extra, dtype="float32")
        cases.append(
            {
                "name": "softmax",
                "x": to_list(x_extra),
                "expected": to_list(keras.activations.softmax(x_extra)),
            }
        )
    write_json("activations.json", {"seed": SEED, "cases": cases})


if __name__ == "__main__":
    main()
