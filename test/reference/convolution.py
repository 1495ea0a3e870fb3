"""Compute Keras outputs of the convolution and pooling layers.

Each case builds one layer from keyword arguments, sets seeded random
weights, and records the layer's full get_config(), its weights, a seeded
float32 input (and mask, for masked cases) and the output. A few cases also
record the gradients of sum(output * coefficients) with respect to the
input and the weights, computed with JAX.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/convolution.py
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 20240611

# (class name, keyword arguments, input shape, options)
CASES = [
    ("Conv2D", dict(filters=4, kernel_size=3), (2, 6, 6, 3), {"grad": True}),
    ("Conv2D", dict(filters=3, kernel_size=(3, 2), strides=2, padding="same", activation="relu"), (2, 7, 6, 2), {}),
    ("Conv2D", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same", activation="tanh"), (1, 7, 7, 2), {}),
    ("Conv2D", dict(filters=4, kernel_size=2, groups=2, activation="sigmoid"), (2, 5, 5, 4), {}),
    ("Conv2D", dict(filters=2, kernel_size=(2, 3), strides=(1, 2), use_bias=False), (2, 5, 7, 3), {}),
    ("Conv2D", dict(filters=3, kernel_size=4, strides=3, padding="same"), (1, 8, 9, 2), {}),
    ("Conv1D", dict(filters=3, kernel_size=3), (2, 8, 2), {}),
    ("Conv1D", dict(filters=2, kernel_size=3, dilation_rate=2, padding="causal"), (2, 9, 3), {}),
    ("Conv1D", dict(filters=4, kernel_size=4, strides=2, padding="same", activation="relu"), (2, 9, 3), {}),
    ("Conv1D", dict(filters=3, kernel_size=2, groups=3), (2, 6, 6), {}),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3), (2, 4, 4, 2), {}),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 3, 4, 3), {}),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), (1, 3, 3, 2), {}),
    ("Conv2DTranspose", dict(filters=2, kernel_size=(3, 2), strides=3, padding="same", output_padding=(2, 1)), (1, 3, 2, 2), {}),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, dilation_rate=2, activation="relu"), (2, 3, 3, 1), {}),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=3), (1, 2, 3, 2), {}),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2), (2, 4, 3), {"grad": True}),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=2, padding="same"), (2, 5, 2), {}),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same", output_padding=1), (1, 4, 2), {}),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same", activation="tanh"), (2, 5, 2), {}),
    ("MaxPooling2D", dict(), (2, 6, 5, 3), {}),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 6, 2), {}),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=1), (1, 4, 5, 2), {}),
    ("AveragePooling2D", dict(pool_size=2), (2, 6, 5, 3), {}),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 6, 2), {}),
    ("AveragePooling2D", dict(pool_size=(3, 3), strides=1, padding="same"), (1, 4, 5, 2), {}),
    ("MaxPooling1D", dict(), (2, 7, 3), {}),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 2), {}),
    ("AveragePooling1D", dict(pool_size=2), (2, 7, 3), {}),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 2), {}),
    ("GlobalMaxPooling1D", dict(), (2, 5, 3), {}),
    ("GlobalMaxPooling1D", dict(keepdims=True), (2, 5, 3), {}),
    ("GlobalAveragePooling1D", dict(), (2, 5, 3), {}),
    ("GlobalAveragePooling1D", dict(keepdims=True), (3, 4, 2), {"mask": [[1, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 1]]}),
    ("GlobalAveragePooling1D", dict(), (3, 4, 2), {"mask": [[1, 0, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]}),
    ("GlobalMaxPooling2D", dict(), (2, 4, 3, 3), {}),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 4, 3, 3), {}),
    ("GlobalAveragePooling2D", dict(), (2, 4, 3, 3), {}),
    ("GlobalAveragePooling2D", dict(keepdims=True), (2, 4, 3, 3), {}),
]


def gradients(layer, x, coefficients):
    """Gradients of sum(layer(x) * coefficients) with respect to x and each weight."""

    def loss(weights, inputs):
        outputs, _ = layer.stateless_call(weights, [], inputs)
        return jnp.sum(outputs * coefficients)

    weights = [jnp.asarray(w) for w in layer.get_weights()]
    d_weights, d_x = jax.grad(loss, argnums=(0, 1))(weights, jnp.asarray(x))
    return {
        "coefficients": to_list(coefficients),
        "dx": to_list(d_x),
        "dweights": [to_list(g) for g in d_weights],
    }


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    cases = []
    for class_name, kwargs, input_shape, options in CASES:
        layer = getattr(keras.layers, class_name)(**kwargs)
        x = rng.normal(size=input_shape).astype("float32")
        mask = options.get("mask")
        call_kwargs = {}
        if mask is not None:
            call_kwargs["mask"] = np.asarray(mask, dtype=bool)
        layer(x, **call_kwargs)
        weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        y = np.asarray(layer(x, **call_kwargs))
        case = {
            "class_name": class_name,
            "config": layer.get_config(),
            "weights": [to_list(w) for w in weights],
            "weight_shapes": [list(w.shape) for w in weights],
            "x": to_list(x),
            "expected": to_list(y),
            "expected_shape": list(y.shape),
        }
        if mask is not None:
            case["mask"] = mask
        if options.get("grad"):
            coefficients = rng.normal(size=y.shape).astype("float32")
            case["gradients"] = gradients(layer, x, coefficients)
        cases.append(case)
    write_json("convolution.json", {"seed": SEED, "cases": cases})


if __name__ == "__main__":
    main()
