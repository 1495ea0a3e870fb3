"""Compute Keras outputs of the normalization, reshaping, merge and activation layers.

Each case builds one layer, sets fixed weights, calls it on fixed seeded
inputs (in training mode where the case sets `training`, with a mask where
it has one) and records the layer's config, its inputs and weights, the output,
and the weights after the call. For BatchNormalization in training mode the
weights after the call hold the updated moving statistics.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/layers_misc.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 2024


def case(name, layer, inputs, weights=None, training=False, mask=None):
    """Run `layer` on `inputs` (one array or a list) and return the JSON record."""
    inputs_list = inputs if isinstance(inputs, list) else [inputs]
    shapes = [x.shape for x in inputs_list]
    layer.build(shapes if isinstance(inputs, list) else shapes[0])
    if weights is not None:
        layer.set_weights(weights)
    kwargs = {}
    if training:
        kwargs["training"] = True
    if mask is not None:
        kwargs["mask"] = mask.astype(bool)
    output = layer(inputs, **kwargs)
    record = {
        "name": name,
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "inputs": [to_list(x) for x in inputs_list],
        "multiple_inputs": isinstance(inputs, list),
        "weights": [to_list(w) for w in (weights or [])],
        "training": training,
        "expected": to_list(output),
        "weights_after": [to_list(w) for w in layer.get_weights()],
    }
    if mask is not None:
        record["mask"] = to_list(mask.astype("float32"))
    return record


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)

    def sample(*shape, low=-2.0, high=2.0):
        return rng.uniform(low, high, size=shape).astype("float32")

    def channel_weights(channels):
        return [
            sample(channels, low=0.5, high=1.5),  # gamma
            sample(channels, low=-0.5, high=0.5),  # beta
            sample(channels, low=-0.5, high=0.5),  # moving_mean
            sample(channels, low=0.5, high=2.0),  # moving_variance
        ]

    layers = keras.layers
    cases = [
        case("batch_norm_rank2_inference", layers.BatchNormalization(), sample(6, 3), channel_weights(3)),
        case(
            "batch_norm_rank2_training",
            layers.BatchNormalization(momentum=0.9),
            sample(6, 3, low=0.0, high=4.0),
            channel_weights(3),
            training=True,
        ),
        case(
            "batch_norm_rank4_axis1_training",
            layers.BatchNormalization(axis=1, epsilon=0.01),
            sample(2, 3, 2, 2),
            channel_weights(3),
            training=True,
        ),
        case(
            "batch_norm_rank4_channels_last_training",
            layers.BatchNormalization(center=False, scale=False),
            sample(2, 3, 3, 2),
            channel_weights(2)[2:],
            training=True,
        ),
        case(
            "batch_norm_rank3_masked_training",
            layers.BatchNormalization(momentum=0.5),
            sample(2, 4, 3),
            channel_weights(3),
            training=True,
            mask=np.array([[1, 1, 0, 1], [1, 0, 0, 1]]),
        ),
        case(
            "layer_norm_last_axis",
            layers.LayerNormalization(),
            sample(3, 5),
            [sample(5, low=0.5, high=1.5), sample(5, low=-0.5, high=0.5)],
        ),
        case(
            "layer_norm_two_axes",
            layers.LayerNormalization(axis=[1, 2], epsilon=0.01),
            sample(2, 3, 4),
            [sample(3, 4, low=0.5, high=1.5), sample(3, 4, low=-0.5, high=0.5)],
        ),
        case(
            "layer_norm_middle_axis",
            layers.LayerNormalization(axis=1, center=False),
            sample(2, 3, 4),
            [sample(3, low=0.5, high=1.5)],
        ),
        case(
            "layer_norm_rms_scaling",
            layers.LayerNormalization(rms_scaling=True),
            sample(3, 4),
            [sample(4, low=0.5, high=1.5)],
        ),
        case("reshape_inferred", layers.Reshape((-1, 2)), sample(2, 3, 4)),
        case("permute_rank3", layers.Permute((2, 1)), sample(2, 3, 4)),
        case("permute_rank4", layers.Permute((3, 1, 2)), sample(2, 2, 3, 4)),
        case("repeat_vector", layers.RepeatVector(3), sample(2, 4)),
        case("concatenate_axis1", layers.Concatenate(axis=1), [sample(2, 1, 3), sample(2, 2, 3)]),
        case("concatenate_last_axis", layers.Concatenate(), [sample(2, 3), sample(2, 2), sample(2, 1)]),
        case("add_three", layers.Add(), [sample(2, 3), sample(2, 3), sample(2, 3)]),
        case("add_broadcast", layers.Add(), [sample(2, 3, 4), sample(2, 1, 4), sample(2, 4)]),
        case("relu_default", layers.ReLU(), sample(2, 6)),
        case(
            "relu_options",
            layers.ReLU(max_value=1.5, negative_slope=0.2, threshold=0.5),
            sample(2, 6),
        ),
        case("relu_max_value", layers.ReLU(max_value=1.0), sample(2, 6)),
        case("leaky_relu", layers.LeakyReLU(), sample(2, 6)),
        case("leaky_relu_slope", layers.LeakyReLU(negative_slope=0.05), sample(2, 6)),
        case(
            "prelu_shared_axes",
            layers.PReLU(shared_axes=[1]),
            sample(2, 3, 4),
            [sample(1, 4, low=0.1, high=0.5)],
        ),
        case("elu", layers.ELU(alpha=0.7), sample(2, 6)),
        case("softmax_last_axis", layers.Softmax(), sample(2, 3, 4)),
        case("softmax_axis1", layers.Softmax(axis=1), sample(2, 3, 4)),
        case("softmax_two_axes", layers.Softmax(axis=(1, 2)), sample(2, 3, 4)),
        case(
            "softmax_masked",
            layers.Softmax(),
            sample(2, 4),
            mask=np.array([[1, 1, 0, 1], [0, 1, 1, 0]]),
        ),
    ]
    write_json("layers_misc.json", {"seed": SEED, "cases": cases})


if __name__ == "__main__":
    main()
