"""Record Keras regularizers, constraints and layer configs that use them.

Sections of the output:
  regularizers: for each regularizer, its serialized form, its penalty on a
      fixed float32 weight and the gradient of that penalty.
  constraints: for each constraint, its serialized form, the projected value
      of a fixed weight, and the gradient of sum(projected * probe) for a
      fixed probe tensor (constraints are built from differentiable ops).
  layer_configs: get_config() of layers built with regularizers and
      constraints, which a loader must rebuild and write back unchanged.
  fit: a Dense(4, tanh) -> Dense(1) model with kernel_regularizer=L2(0.1)
      and kernel_constraint=MaxNorm(1.0) on the first layer and
      activity_regularizer=L2(0.05), bias_regularizer=L1(0.02) and
      kernel_constraint=NonNeg() on the second, trained for 3 epochs with
      SGD(0.1), mean squared error, batch_size=4 and shuffle=False. The
      history loss includes the penalties, as Keras reports it.

Weights are seeded float32 values away from 0, where |x| has no gradient
kink, and away from the norm bounds, where clip has none.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/regularizers.py
"""

import jax
import keras
import numpy as np
from keras import constraints, layers, regularizers

from reference_io import to_list, write_json

SEED = 1234


def away_from_zero(rng, shape, scale=1.0):
    """Seeded normal values with magnitude at least 0.05 * scale."""
    values = rng.normal(scale=scale, size=shape)
    values = np.where(np.abs(values) < 0.05 * scale, 0.05 * scale * np.sign(values + 1e-12), values)
    return values.astype("float32")


def regularizer_cases(rng):
    weight = away_from_zero(rng, (3, 4))
    tall = away_from_zero(rng, (5, 2))
    bias = away_from_zero(rng, (4,))
    cases = [
        ("L1(0.1)", regularizers.L1(0.1), weight),
        ("L1()", regularizers.get("l1"), weight),
        ("L2(0.1)", regularizers.L2(0.1), weight),
        ("L2() on a bias", regularizers.get("l2"), bias),
        ("L1L2(0.05, 0.2)", regularizers.L1L2(l1=0.05, l2=0.2), weight),
        ("L1L2()", regularizers.get("l1l2"), weight),
        ("OrthogonalRegularizer rows", regularizers.OrthogonalRegularizer(0.3, "rows"), weight),
        ("OrthogonalRegularizer columns", regularizers.OrthogonalRegularizer(0.3, "columns"), weight),
        ("OrthogonalRegularizer tall rows", regularizers.get("orthogonal_regularizer"), tall),
    ]
    out = []
    for name, regularizer, x in cases:
        # Penalties apply to backend tensors in training. NumPy arrays would take
        # Keras's NumPy branch of normalize, which treats axis 0 as axis -1.
        x = keras.ops.convert_to_tensor(x)
        value = regularizer(x)
        gradient = jax.grad(lambda w: regularizer(w))(x)
        out.append(
            {
                "name": name,
                "serialized": regularizers.serialize(regularizer),
                "x": to_list(x),
                "shape": list(x.shape),
                "value": to_list(value),
                "gradient": to_list(gradient),
            }
        )
    return out


def constraint_cases(rng):
    weight = away_from_zero(rng, (3, 4))
    kernel = away_from_zero(rng, (2, 3, 4), scale=0.8)
    cases = [
        ("MaxNorm(1.0)", constraints.MaxNorm(max_value=1.0), weight),
        ("MaxNorm()", constraints.get("max_norm"), weight * 2.0),
        ("MaxNorm(0.8, axis=1)", constraints.MaxNorm(max_value=0.8, axis=1), weight),
        ("MaxNorm(1.0, axis=[0, 1])", constraints.MaxNorm(max_value=1.0, axis=[0, 1]), kernel),
        ("NonNeg", constraints.get("non_neg"), weight),
        ("UnitNorm()", constraints.get("unit_norm"), weight),
        ("UnitNorm(axis=-1)", constraints.UnitNorm(axis=-1), kernel),
        ("MinMaxNorm()", constraints.get("min_max_norm"), weight),
        ("MinMaxNorm(0.5, 1.5, 0.7, axis=1)", constraints.MinMaxNorm(0.5, 1.5, 0.7, axis=1), weight),
    ]
    out = []
    for name, constraint, w in cases:
        probe = rng.normal(size=w.shape).astype("float32")
        value = constraint(w)
        gradient = jax.grad(lambda v: keras.ops.sum(constraint(v) * probe))(w)
        out.append(
            {
                "name": name,
                "serialized": constraints.serialize(constraint),
                "w": to_list(w),
                "shape": list(w.shape),
                "probe": to_list(probe),
                "value": to_list(value),
                "gradient": to_list(gradient),
            }
        )
    return out


def layer_config_cases():
    keras.utils.clear_session()
    l2 = regularizers.L2(0.1)
    l1 = regularizers.L1(0.02)
    l1l2 = regularizers.L1L2(0.01, 0.03)
    max_norm = constraints.MaxNorm(1.5, axis=0)
    unit_norm = constraints.UnitNorm(axis=[0, 1])
    built = [
        layers.Dense(
            3,
            name="dense_penalized",
            kernel_regularizer=l2,
            bias_regularizer=l1,
            activity_regularizer=l1l2,
            kernel_constraint=max_norm,
            bias_constraint="non_neg",
        ),
        layers.Dense(2, name="dense_plain"),
        layers.Conv1D(
            2,
            3,
            name="conv1d_penalized",
            kernel_regularizer="l2",
            bias_regularizer=l1,
            activity_regularizer="l1",
            kernel_constraint=unit_norm,
            bias_constraint=constraints.MinMaxNorm(0.1, 2.0, 0.5),
        ),
        layers.Dense(2, name="dense_orthogonal", kernel_regularizer=regularizers.OrthogonalRegularizer(0.2, "columns")),
        layers.Conv2D(2, 3, name="conv2d_penalized", kernel_regularizer=l1l2, bias_constraint="unit_norm"),
        layers.Conv1DTranspose(2, 3, name="conv1d_transpose_penalized", bias_regularizer="l1l2", kernel_constraint="max_norm"),
        layers.Conv2DTranspose(2, 3, name="conv2d_transpose_penalized", activity_regularizer=l2),
        layers.Embedding(
            10,
            4,
            name="embedding_penalized",
            embeddings_regularizer=l2,
            activity_regularizer=l1,
            embeddings_constraint="unit_norm",
        ),
        layers.SimpleRNN(
            3,
            name="simple_rnn_penalized",
            kernel_regularizer=l2,
            recurrent_regularizer=l1,
            bias_regularizer=l1l2,
            activity_regularizer="l2",
            kernel_constraint=max_norm,
            recurrent_constraint="unit_norm",
            bias_constraint="non_neg",
        ),
        layers.LSTM(
            3,
            name="lstm_penalized",
            kernel_regularizer=l2,
            recurrent_regularizer="l1",
            activity_regularizer=l1,
            recurrent_constraint=max_norm,
        ),
        layers.GRU(3, name="gru_penalized", bias_regularizer=l2, kernel_constraint="non_neg"),
        layers.LSTMCell(3, name="lstm_cell_penalized", kernel_regularizer=l2, bias_constraint="max_norm"),
        layers.GRUCell(3, name="gru_cell_penalized", recurrent_regularizer=l1),
        layers.SimpleRNNCell(3, name="simple_rnn_cell_penalized", recurrent_constraint="unit_norm"),
        layers.BatchNormalization(
            name="batch_normalization_penalized",
            beta_regularizer=l1,
            gamma_regularizer=l2,
            beta_constraint="non_neg",
            gamma_constraint=max_norm,
        ),
        layers.LayerNormalization(name="layer_normalization_penalized", gamma_regularizer="l2", beta_constraint="unit_norm"),
        layers.GroupNormalization(2, name="group_normalization_penalized", beta_regularizer=l2, gamma_constraint="non_neg"),
        layers.PReLU(name="p_re_lu_penalized", alpha_regularizer=l2, alpha_constraint="non_neg"),
        layers.Conv3D(2, 2, name="conv3d_penalized", kernel_regularizer=l1, activity_regularizer=l2, bias_constraint="non_neg"),
        layers.Conv3DTranspose(2, 2, name="conv3d_transpose_penalized", kernel_constraint=unit_norm),
        layers.DepthwiseConv1D(
            3,
            name="depthwise_conv1d_penalized",
            depthwise_regularizer=l2,
            bias_regularizer=l1,
            activity_regularizer=l1l2,
            depthwise_constraint=max_norm,
            bias_constraint="non_neg",
        ),
        layers.DepthwiseConv2D(3, name="depthwise_conv2d_penalized", depthwise_constraint=unit_norm),
        layers.SeparableConv1D(
            2,
            3,
            name="separable_conv1d_penalized",
            depthwise_regularizer=l2,
            pointwise_regularizer=l1,
            bias_regularizer="l2",
            activity_regularizer=l1,
            depthwise_constraint=max_norm,
            pointwise_constraint="non_neg",
            bias_constraint="unit_norm",
        ),
        layers.SeparableConv2D(2, 3, name="separable_conv2d_penalized", pointwise_regularizer=l2),
        layers.MultiHeadAttention(
            2,
            3,
            name="multi_head_attention_penalized",
            kernel_regularizer=l2,
            bias_regularizer=l1,
            activity_regularizer=l1l2,
            kernel_constraint=max_norm,
            bias_constraint="non_neg",
        ),
    ]
    return [{"class_name": layer.__class__.__name__, "config": layer.get_config()} for layer in built]


def fit_case(rng):
    keras.utils.clear_session()
    model = keras.Sequential(
        [
            keras.Input((3,)),
            layers.Dense(
                4,
                activation="tanh",
                kernel_regularizer=regularizers.L2(0.1),
                kernel_constraint=constraints.MaxNorm(1.0),
            ),
            layers.Dense(
                1,
                activity_regularizer=regularizers.L2(0.05),
                bias_regularizer=regularizers.L1(0.02),
                kernel_constraint=constraints.NonNeg(),
            ),
        ]
    )
    weights = [
        rng.normal(scale=0.8, size=(3, 4)).astype("float32"),
        rng.uniform(-0.2, 0.2, size=(4,)).astype("float32"),
        rng.normal(scale=0.8, size=(4, 1)).astype("float32"),
        rng.uniform(0.1, 0.3, size=(1,)).astype("float32"),
    ]
    model.set_weights(weights)
    x = rng.normal(size=(10, 3)).astype("float32")
    y = rng.normal(size=(10, 1)).astype("float32")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    initial_loss = model.evaluate(x, y, batch_size=10, verbose=0)
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    final_loss = model.evaluate(x, y, batch_size=10, verbose=0)
    return {
        "x": to_list(x),
        "y": to_list(y),
        "initial_weights": [to_list(w) for w in weights],
        "initial_loss": float(initial_loss),
        "history_loss": [float(v) for v in history.history["loss"]],
        "final_weights": [to_list(w) for w in model.get_weights()],
        "final_loss": float(final_loss),
    }


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    payload = {
        "regularizers": regularizer_cases(rng),
        "constraints": constraint_cases(rng),
        "layer_configs": layer_config_cases(),
        "fit": fit_case(rng),
    }
    write_json("regularizers.json", payload)


if __name__ == "__main__":
    main()
