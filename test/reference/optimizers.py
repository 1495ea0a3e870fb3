"""Record five Keras optimizer steps on a fixed 2x3 float32 weight.

For each configuration the script starts from W0, applies the same five
seeded gradients with optimizer.apply_gradients, and records the weights after
every step, the optimizer variables afterwards (in optimizer.variables order)
and optimizer.get_config().

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/optimizers.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 1234
STEPS = 5
W0 = [[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]]

# Each entry is a label, the constructor name and its keyword arguments.
CONFIGURATIONS = [
    ("adam defaults", "Adam", {}),
    ("adam learning_rate 0.1", "Adam", {"learning_rate": 0.1}),
    (
        "adam custom",
        "Adam",
        {
            "amsgrad": False,
            "beta_1": 0.8,
            "beta_2": 0.95,
            "epsilon": 1e-3,
            "learning_rate": 0.05,
        },
    ),
    ("sgd defaults", "SGD", {}),
    ("sgd momentum", "SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    (
        "sgd nesterov",
        "SGD",
        {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
    ),
]


def run_configuration(label, class_name, kwargs, gradients):
    # Reset the global name counters so every optimizer is named "adam" or "sgd".
    keras.utils.clear_session()
    optimizer = getattr(keras.optimizers, class_name)(**kwargs)
    weight = keras.Variable(np.asarray(W0, dtype="float32"), name="w")
    weights_after_step = []
    for gradient in gradients:
        optimizer.apply_gradients([(gradient, weight)])
        weights_after_step.append(to_list(weight.value))
    variables = [
        {"name": variable.name, "path": variable.path, "value": to_list(variable.value)}
        for variable in optimizer.variables
    ]
    return {
        "name": label,
        "optimizer": class_name,
        "kwargs": kwargs,
        "config": optimizer.get_config(),
        "weights_after_step": weights_after_step,
        "variables": variables,
    }


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    gradients = [rng.normal(size=(2, 3)).astype("float32") for _ in range(STEPS)]
    cases = [
        run_configuration(label, class_name, kwargs, gradients)
        for label, class_name, kwargs in CONFIGURATIONS
    ]
    write_json(
        "optimizers.json",
        {
            "seed": SEED,
            "w0": W0,
            "gradients": [to_list(gradient) for gradient in gradients],
            "cases": cases,
        },
    )


if __name__ == "__main__":
    main()
