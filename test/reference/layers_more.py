"""Compute Keras outputs of the merge, masking, normalization, preprocessing and spatial layers.

Each case builds one layer, sets fixed weights, calls it on fixed seeded
inputs (with a mask where the case has one) and records the layer's config,
its inputs and weights, and the output. Adapt cases call `adapt` on the
recorded data first and record the weights or boundaries it produced.
Random layers are not here: their tests check statistics instead.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/layers_more.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 2025


def case(name, layer, inputs, weights=None, mask=None, adapt=None, symbolic_batch=False):
    """Run `layer` on `inputs` (one array or a list) and return the JSON record."""
    inputs_list = inputs if isinstance(inputs, list) else [inputs]
    if adapt is not None and isinstance(layer, keras.layers.Discretization):
        # Discretization.adapt checks for tf.data datasets, which needs TensorFlow; on an array
        # it resets the summary, updates it and finalizes it, which these three calls do directly.
        layer.reset_state()
        layer.update_state(adapt)
        layer.finalize_state()
    elif adapt is not None:
        layer.adapt(adapt)
    else:
        shapes = [((None,) + x.shape[1:]) if symbolic_batch else x.shape for x in inputs_list]
        layer.build(shapes if isinstance(inputs, list) else shapes[0])
    if weights is not None:
        layer.set_weights(weights)
    kwargs = {}
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
        "expected": to_list(output),
        "weights_after": [to_list(w) for w in layer.get_weights()],
    }
    if adapt is not None:
        record["adapt"] = to_list(adapt)
    if mask is not None:
        record["mask"] = to_list(mask.astype("float32"))
    output_mask = getattr(output, "_keras_mask", None)
    if output_mask is not None:
        record["expected_mask"] = to_list(np.asarray(output_mask).astype("float32"))
    return record


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)

    def sample(*shape, low=-2.0, high=2.0):
        return rng.uniform(low, high, size=shape).astype("float32")

    layers = keras.layers
    masked_seq = sample(2, 4, 3)
    masked_seq[0, 1] = 0.0
    masked_seq[1, 3] = 0.0
    tokens = np.array([[0, 2, 2], [3, 1, 0]], dtype="float32")
    cases = [
        case("subtract", layers.Subtract(), [sample(2, 3, 4), sample(2, 3, 4)]),
        case("subtract_broadcast", layers.Subtract(), [sample(2, 3, 4), sample(2, 1, 4)]),
        case("multiply_three", layers.Multiply(), [sample(2, 5), sample(2, 5), sample(2, 5)]),
        case("average", layers.Average(), [sample(2, 2, 3), sample(2, 2, 3)]),
        case("maximum", layers.Maximum(), [sample(2, 6), sample(2, 6), sample(2, 6)]),
        case("minimum", layers.Minimum(), [sample(2, 3, 2), sample(2, 3, 2)]),
        case("dot_last_axis", layers.Dot(axes=-1), [sample(3, 4), sample(3, 4)]),
        case("dot_axes_pair", layers.Dot(axes=(1, 2)), [sample(2, 3, 5), sample(2, 4, 3)]),
        case("dot_normalize", layers.Dot(axes=2, normalize=True), [sample(2, 3, 4), sample(2, 5, 4)]),
        case("masking_default", layers.Masking(), masked_seq),
        case("masking_value", layers.Masking(mask_value=0.5), np.array([[[0.5, 0.5], [1, 0.5]]], dtype="float32")),
        case(
            "group_norm_two_groups",
            layers.GroupNormalization(groups=2),
            sample(2, 3, 4),
            [sample(4, low=0.5, high=1.5), sample(4, low=-0.5, high=0.5)],
        ),
        case(
            "group_norm_images_axis1",
            layers.GroupNormalization(groups=3, axis=1, epsilon=0.01),
            sample(2, 6, 2, 2),
            [sample(6, low=0.5, high=1.5), sample(6, low=-0.5, high=0.5)],
        ),
        case("group_norm_instance", layers.GroupNormalization(groups=-1, center=False), sample(2, 5, 3), [sample(3)]),
        case("unit_norm_last_axis", layers.UnitNormalization(), sample(3, 4)),
        case("unit_norm_two_axes", layers.UnitNormalization(axis=[1, 2]), sample(2, 3, 4)),
        case(
            "time_distributed_dense",
            layers.TimeDistributed(layers.Dense(3)),
            sample(2, 4, 5),
            [sample(5, 3), sample(3)],
            symbolic_batch=True,
        ),
        case(
            "time_distributed_conv",
            layers.TimeDistributed(layers.Conv2D(2, 2)),
            sample(1, 3, 4, 4, 2),
            [sample(2, 2, 2, 2), sample(2)],
            symbolic_batch=True,
        ),
        case("normalization_fixed", layers.Normalization(mean=[1.0, -1.0, 0.5], variance=[4.0, 0.25, 1.0]), sample(4, 3)),
        case("normalization_fixed_scalar", layers.Normalization(mean=2.0, variance=9.0), sample(3, 2)),
        case("normalization_invert", layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True), sample(3, 2)),
        case("normalization_adapt", layers.Normalization(), sample(3, 4), adapt=sample(20, 4, low=-3.0, high=5.0)),
        case("normalization_adapt_axis1", layers.Normalization(axis=1), sample(2, 3, 2), adapt=sample(6, 3, 2, low=0.0, high=4.0)),
        case("normalization_adapt_global", layers.Normalization(axis=None), sample(2, 3), adapt=sample(10, 3)),
        case("rescaling", layers.Rescaling(scale=1.0 / 255), sample(2, 3, low=0.0, high=255.0)),
        case("rescaling_offset", layers.Rescaling(scale=2.0, offset=-1.0), sample(2, 3, low=0.0, high=1.0)),
        case("category_multi_hot", layers.CategoryEncoding(num_tokens=4), tokens),
        case("category_count", layers.CategoryEncoding(num_tokens=5, output_mode="count"), tokens),
        case("category_one_hot", layers.CategoryEncoding(num_tokens=4, output_mode="one_hot"), np.array([3, 0, 1], dtype="float32")),
        case(
            "category_one_hot_column",
            layers.CategoryEncoding(num_tokens=4, output_mode="one_hot"),
            np.array([[3], [0], [2]], dtype="float32"),
        ),
        case("discretization_int", layers.Discretization(bin_boundaries=[-1.0, 0.0, 1.5]), sample(2, 5)),
        case(
            "discretization_one_hot",
            layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot"),
            np.array([-1.0, 0.0, 0.5, 1.0, 3.0], dtype="float32"),
        ),
        case(
            "discretization_adapt",
            layers.Discretization(num_bins=4, epsilon=0.01),
            sample(2, 6, low=0.0, high=10.0),
            adapt=sample(200, low=0.0, high=10.0),
        ),
        case(
            "discretization_adapt_small",
            layers.Discretization(num_bins=3),
            np.array([[0.5, 2.5, 4.5, 6.5]], dtype="float32"),
            adapt=np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype="float32"),
        ),
        case("cropping1d", layers.Cropping1D(cropping=(1, 2)), sample(2, 6, 3)),
        case("cropping2d", layers.Cropping2D(cropping=((1, 0), (2, 1))), sample(2, 4, 5, 2)),
        case("cropping2d_channels_first", layers.Cropping2D(cropping=1, data_format="channels_first"), sample(1, 2, 4, 4)),
        case("cropping3d", layers.Cropping3D(cropping=((1, 0), (0, 1), (1, 1))), sample(1, 3, 3, 4, 2)),
        case("zero_padding1d", layers.ZeroPadding1D(padding=(2, 1)), sample(2, 3, 2)),
        case("zero_padding2d", layers.ZeroPadding2D(padding=((1, 0), (0, 2))), sample(1, 2, 3, 2)),
        case("zero_padding2d_channels_first", layers.ZeroPadding2D(padding=1, data_format="channels_first"), sample(1, 2, 2, 2)),
        case("zero_padding3d", layers.ZeroPadding3D(padding=(1, 0, 1)), sample(1, 2, 2, 2, 1)),
        case("up_sampling1d", layers.UpSampling1D(size=3), sample(2, 3, 2)),
        case("up_sampling2d_nearest", layers.UpSampling2D(size=(2, 3)), sample(1, 2, 2, 2)),
        case("up_sampling2d_bilinear", layers.UpSampling2D(size=(2, 3), interpolation="bilinear"), sample(2, 3, 4, 2)),
        case(
            "up_sampling2d_bilinear_channels_first",
            layers.UpSampling2D(size=2, data_format="channels_first", interpolation="bilinear"),
            sample(1, 2, 3, 3),
        ),
        case("up_sampling3d", layers.UpSampling3D(size=(1, 2, 2)), sample(1, 2, 2, 2, 1)),
    ]
    write_json("layers_more.json", {"seed": SEED, "cases": cases})


if __name__ == "__main__":
    main()
