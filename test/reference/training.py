"""Record end-to-end Keras fit, evaluate and predict results on tiny models.

Every case builds a small Sequential model, sets its weights to seeded float32
values, trains with fit(batch_size=4, shuffle=False) and records the epoch
history, the per-batch logs, the final weights, evaluate() and predict().

Cases:
  categorical: Dense(3, relu) -> Dense(2, softmax), Adam(0.01),
      categorical_crossentropy, one-hot labels, metrics=["accuracy"].
  binary_mse: Dense(3, relu) -> Dense(1, sigmoid), SGD(0.1, momentum=0.9),
      mean squared error, labels of shape (10, 1), metrics=["accuracy"].
  sparse_validation: same model as categorical, Adam(0.01),
      sparse_categorical_crossentropy, integer labels of shape (10,),
      metrics=["acc"], validation_split=0.2. Keras holds out the last
      floor(10 * 0.2) = 2 samples, before any batching, for validation.

The evaluate() loss uses the final weights. Each history loss is the mean of
that epoch's batch losses weighted by batch size (4, 4, 2), computed while the
weights change.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/training.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 1234
SAMPLES = 10
FEATURES = 4
EPOCHS = 3
BATCH_SIZE = 4


class BatchLogRecorder(keras.callbacks.Callback):
    """Store the logs passed to on_train_batch_end, one dict per batch."""

    def __init__(self):
        super().__init__()
        self.batch_logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_logs.append({key: float(value) for key, value in logs.items()})


def build_model(output_units, output_activation):
    keras.utils.clear_session()
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(3, activation="relu"),
            keras.layers.Dense(output_units, activation=output_activation),
        ]
    )


def seeded_weights(rng, output_units):
    """Return kernel0, bias0, kernel1, bias1 with non-zero biases."""
    return [
        rng.normal(scale=0.5, size=(FEATURES, 3)).astype("float32"),
        rng.uniform(0.05, 0.2, size=(3,)).astype("float32"),
        rng.normal(scale=0.5, size=(3, output_units)).astype("float32"),
        rng.uniform(-0.2, 0.2, size=(output_units,)).astype("float32"),
    ]


def resolved_metric_classes(model):
    """Map each compiled metric name to the class Keras chose for it.

    NOTE: this reads the private attribute model._compile_metrics of Keras 3.15.
    """
    return {
        metric.name: type(metric).__name__
        for metric in model._compile_metrics.metrics
    }


def run_case(name, rng, x, y, output_units, output_activation, compile_kwargs, fit_kwargs):
    model = build_model(output_units, output_activation)
    initial_weights = seeded_weights(rng, output_units)
    model.set_weights(initial_weights)
    model.compile(**compile_kwargs)
    recorder = BatchLogRecorder()
    history = model.fit(
        x,
        y,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        shuffle=False,
        verbose=0,
        callbacks=[recorder],
        **fit_kwargs,
    )
    evaluation = model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0)
    prediction = model.predict(x[:3], verbose=0)
    return {
        "name": name,
        "x": to_list(x),
        "y": to_list(y),
        "initial_weights": [to_list(weight) for weight in initial_weights],
        "history_keys": list(history.history.keys()),
        "history": {
            key: [float(value) for value in values]
            for key, values in history.history.items()
        },
        "batch_logs": recorder.batch_logs,
        "metric_classes": resolved_metric_classes(model),
        "final_weights": [to_list(weight) for weight in model.get_weights()],
        "metrics_names": list(model.metrics_names),
        "evaluate": [float(value) for value in evaluation],
        "predict_first_3": to_list(prediction),
    }


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    class_labels = rng.integers(0, 2, size=(SAMPLES,)).astype("int32")
    one_hot = np.eye(2, dtype="float32")[class_labels]
    binary_labels = class_labels.reshape(SAMPLES, 1).astype("float32")

    categorical = run_case(
        "categorical",
        rng,
        x,
        one_hot,
        2,
        "softmax",
        {
            "optimizer": keras.optimizers.Adam(learning_rate=0.01),
            "loss": "categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        {},
    )
    binary_mse = run_case(
        "binary_mse",
        rng,
        x,
        binary_labels,
        1,
        "sigmoid",
        {
            "optimizer": keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
            "loss": "mse",
            "metrics": ["accuracy"],
        },
        {},
    )
    sparse_validation = run_case(
        "sparse_validation",
        rng,
        x,
        class_labels,
        2,
        "softmax",
        {
            "optimizer": keras.optimizers.Adam(learning_rate=0.01),
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["acc"],
        },
        {"validation_split": 0.2},
    )
    write_json(
        "training.json",
        {
            "seed": SEED,
            "epochs": EPOCHS,
            "batch_size": BATCH_SIZE,
            "cases": [categorical, binary_mse, sparse_validation],
        },
    )


if __name__ == "__main__":
    main()
