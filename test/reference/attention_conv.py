"""Compute Keras outputs of the attention, depthwise, separable and 3-D layers.

Each case builds one layer from keyword arguments, sets seeded random
weights, and records the layer's full get_config() (after building), its
weights, seeded float32 inputs, the masks and call arguments, and the
outputs. Attention layers take a list of inputs; MultiHeadAttention cases
with one input are self-attention (query, value and key are that input).

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/attention_conv.py
"""

import keras
import numpy as np
from keras.src import backend

from reference_io import to_list, write_json

SEED = 20241204

# (class name, keyword arguments, input shapes, options). Options: "masks"
# (one Keras mask [batch, steps] per input, or None), "call" (call keyword
# arguments), "attention_mask" (an array for MultiHeadAttention). Masked
# MultiHeadAttention cases return their scores, so Keras 3.15.1 takes its
# einsum path. That path gives a query step whose keys are all masked
# all-zero weights, while the JAX fast path gives it uniform weights.
CASES = [
    ("DepthwiseConv2D", dict(kernel_size=3), [(2, 5, 6, 3)], {}),
    ("DepthwiseConv2D", dict(kernel_size=(3, 2), strides=2, padding="same", depth_multiplier=2, activation="relu"), [(2, 7, 6, 2)], {}),
    ("DepthwiseConv2D", dict(kernel_size=2, dilation_rate=2, use_bias=False), [(1, 6, 6, 3)], {}),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=3), [(2, 7, 2)], {}),
    ("DepthwiseConv1D", dict(kernel_size=4, strides=2, padding="same", activation="tanh"), [(2, 9, 3)], {}),
    ("SeparableConv2D", dict(filters=4, kernel_size=3), [(2, 6, 5, 3)], {}),
    ("SeparableConv2D", dict(filters=3, kernel_size=3, strides=2, padding="same", depth_multiplier=2, activation="relu"), [(2, 7, 7, 2)], {}),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, dilation_rate=2), [(2, 9, 3)], {}),
    ("SeparableConv1D", dict(filters=2, kernel_size=2, padding="same", use_bias=False, activation="sigmoid"), [(2, 5, 2)], {}),
    ("Conv3D", dict(filters=3, kernel_size=2), [(2, 4, 4, 3, 2)], {}),
    ("Conv3D", dict(filters=2, kernel_size=(3, 2, 2), strides=(2, 1, 2), padding="same", activation="relu"), [(1, 5, 4, 5, 3)], {}),
    ("Conv3D", dict(filters=4, kernel_size=2, groups=2, dilation_rate=(1, 2, 1)), [(1, 3, 5, 3, 4)], {}),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), [(1, 2, 3, 2, 3)], {}),
    ("Conv3DTranspose", dict(filters=3, kernel_size=3, strides=(1, 2, 2), padding="same"), [(2, 2, 2, 3, 2)], {}),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), [(1, 2, 2, 2, 2)], {}),
    ("MaxPooling3D", dict(), [(2, 4, 5, 4, 2)], {}),
    ("MaxPooling3D", dict(pool_size=3, strides=2, padding="same"), [(1, 5, 4, 5, 2)], {}),
    ("AveragePooling3D", dict(pool_size=2), [(2, 4, 5, 4, 2)], {}),
    ("AveragePooling3D", dict(pool_size=(2, 3, 2), strides=1, padding="same"), [(1, 3, 4, 3, 2)], {}),
    ("GlobalMaxPooling3D", dict(), [(2, 3, 4, 2, 3)], {}),
    ("GlobalAveragePooling3D", dict(keepdims=True), [(2, 3, 4, 2, 3)], {}),
    ("Attention", dict(), [(2, 3, 4), (2, 5, 4)], {}),
    ("Attention", dict(use_scale=True), [(2, 3, 4), (2, 5, 3), (2, 5, 4)], {"masks": [[[1, 1, 0], [1, 1, 1]], [[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]]]}),
    ("Attention", dict(score_mode="concat", use_scale=True), [(2, 4, 3), (2, 4, 3)], {"call": {"use_causal_mask": True, "return_attention_scores": True}}),
    ("Attention", dict(score_mode="concat"), [(1, 3, 2), (1, 4, 2)], {"masks": [None, [[1, 0, 1, 1]]]}),
    ("AdditiveAttention", dict(), [(2, 3, 4), (2, 5, 4)], {"call": {"return_attention_scores": True}}),
    ("AdditiveAttention", dict(use_scale=False), [(2, 4, 3), (2, 4, 2), (2, 4, 3)], {"masks": [[[1, 1, 1, 0], [1, 0, 1, 1]], [[1, 1, 0, 1], [0, 1, 1, 1]]], "call": {"use_causal_mask": True}}),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=3), [(2, 4, 5)], {"call": {"return_attention_scores": True}}),
    # Keras 3.15.1's JAX fast path (taken when no scores are returned) fails when value_dim differs from key_dim.
    ("MultiHeadAttention", dict(num_heads=3, key_dim=2, value_dim=4, output_shape=6), [(2, 3, 5), (2, 4, 3)], {"call": {"return_attention_scores": True}}),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=2, use_bias=False), [(2, 3, 4), (2, 5, 3), (2, 5, 2)], {"call": {"return_attention_scores": True}}),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=3), [(2, 5, 4)], {"call": {"use_causal_mask": True, "return_attention_scores": True}}),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=3), [(2, 4, 4), (2, 3, 4)], {"masks": [[[1, 1, 1, 0], [1, 1, 1, 1]], [[1, 1, 0], [1, 0, 1]]], "call": {"return_attention_scores": True}}),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=2), [(2, 3, 4), (2, 4, 4)], {"attention_mask": [[[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], [[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 1, 1]]], "call": {"return_attention_scores": True}}),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=2, attention_axes=(1, 2)), [(2, 3, 2, 4)], {"call": {"return_attention_scores": True}}),
    ("MultiHeadAttention", dict(num_heads=1, key_dim=3, attention_axes=2, output_shape=(2, 3)), [(2, 3, 4, 5)], {}),
    ("MultiHeadAttention", dict(num_heads=2, key_dim=2, use_gate=True, sliding_window=2), [(2, 5, 3)], {"call": {"return_attention_scores": True}}),
]


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    cases = []
    for class_name, kwargs, input_shapes, options in CASES:
        layer = getattr(keras.layers, class_name)(**kwargs)
        inputs = [rng.normal(size=shape).astype("float32") for shape in input_shapes]
        masks = options.get("masks")
        call = dict(options.get("call", {}))
        if options.get("attention_mask") is not None:
            call["attention_mask"] = np.asarray(options["attention_mask"], dtype=bool)

        def run():
            if class_name == "MultiHeadAttention":
                # Fresh tensors for every call, because the layer clears the Keras masks it reads.
                tensors = [keras.ops.convert_to_tensor(x) for x in inputs]
                if masks is not None:
                    for tensor, mask in zip(tensors, masks):
                        if mask is not None:
                            backend.set_keras_mask(tensor, np.asarray(mask, dtype=bool))
                query = tensors[0]
                value = tensors[1] if len(tensors) > 1 else tensors[0]
                extra = {"key": tensors[2]} if len(tensors) > 2 else {}
                return layer(query, value, **extra, **call)
            if len(inputs) == 1:
                return layer(inputs[0], **call)
            mask_list = None
            if masks is not None:
                mask_list = [None if m is None else np.asarray(m, dtype=bool) for m in masks]
            return layer(inputs, mask=mask_list, **call) if mask_list else layer(inputs, **call)

        run()
        weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        outputs = run()
        outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
        outputs = [np.asarray(o) for o in outputs]
        case = {
            "class_name": class_name,
            "config": layer.get_config(),
            "weights": [to_list(w) for w in weights],
            "weight_paths": [w.path.split("/", 1)[1] for w in layer.weights],
            "weight_shapes": [list(w.shape) for w in weights],
            "inputs": [to_list(x) for x in inputs],
            "masks": masks,
            "call": options.get("call", {}),
            "attention_mask": options.get("attention_mask"),
            "expected": [to_list(o) for o in outputs],
            "expected_shapes": [list(o.shape) for o in outputs],
        }
        cases.append(case)
    write_json("attention_conv.json", {"seed": SEED, "cases": cases})


if __name__ == "__main__":
    main()
