"""Compute every keras.activations function and its gradient on fixed inputs.

Each case applies one activation (with optional keyword arguments) to a
float32 input and records the output and the gradient of
sum(weights * output) with respect to the input, from jax.grad. The
element-wise cases use a grid that avoids the kinks of piecewise functions,
and a second input of kinks and large values that only checks outputs.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/activations_all.py
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np

from reference_io import to_list, write_json

# Between -5.9 and 5.9, off every kink (0, ±0.5, ±1, ±3, 6) of the piecewise activations.
GRID = np.round(np.linspace(-5.9, 5.9, 24) + 0.013, 6).astype("float32")
KINKS_AND_LARGE = np.array([-30, -6, -3, -1, -0.5, 0, 0.3, 0.5, 1, 3, 6, 30], dtype="float32")
MATRIX = np.array(
    [[-2.0, -0.5, 0.1, 0.7, 1.9, 3.2], [0.3, 0.31, -4.0, 2.2, -1.1, 0.05], [5.0, -5.0, 0.0, 1.0, 2.0, -3.0]],
    dtype="float32",
)

ELEMENTWISE = [
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("exponential", {}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.3}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("hard_tanh", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("linear", {}),
    ("log_sigmoid", {}),
    ("mish", {}),
    ("relu", {}),
    ("relu", {"max_value": 4.0}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"threshold": 1.5}),
    ("relu", {"threshold": -1.5}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5}),
    ("relu6", {}),
    ("selu", {}),
    ("sigmoid", {}),
    ("silu", {}),
    ("swish", {}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.3}),
    ("softplus", {}),
    ("softsign", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
    ("tanh", {}),
    ("tanh_shrink", {}),
    ("threshold", {"threshold": 0.3, "default_value": -2.0}),
]

ROWWISE = [
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("log_softmax", {}),
    ("log_softmax", {"axis": 0}),
    ("sparsemax", {}),
    ("sparsemax", {"axis": 0}),
    ("glu", {}),
    ("glu", {"axis": 0}),
]


def weights_like(shape):
    count = int(np.prod(shape))
    return (np.sin(np.arange(1, count + 1)) + 1.5).astype("float32").reshape(shape)


def compute_case(name, kwargs, x, with_gradient=True):
    activation = keras.activations.get(name)

    def apply(value):
        return activation(value, **kwargs)

    output = apply(x)
    case = {"name": name, "kwargs": kwargs, "x": to_list(x), "expected": to_list(output)}
    if with_gradient:
        weights = weights_like(np.shape(output))
        grad = jax.grad(lambda value: jnp.sum(apply(value) * weights))(x)
        case["weights"] = to_list(weights)
        case["grad"] = to_list(grad)
    return case


def main():
    cases = []
    for name, kwargs in ELEMENTWISE:
        cases.append(compute_case(name, kwargs, GRID))
        cases.append(compute_case(name, kwargs, KINKS_AND_LARGE, with_gradient=False))
    for name, kwargs in ROWWISE:
        x = MATRIX if not (name == "glu" and kwargs.get("axis") == 0) else MATRIX[:2]
        cases.append(compute_case(name, kwargs, x))
    write_json("activations_all.json", {"cases": cases})


if __name__ == "__main__":
    main()
