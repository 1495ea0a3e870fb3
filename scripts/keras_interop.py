"""Keras 3 side of `npm run check:keras-interop`.

`make DIR` trains a small model in Keras, saves DIR/keras.keras and writes
DIR/keras.json with the data, the predictions, and the weights after one
more training step. `check DIR` loads DIR/stratum.keras (written by
Stratum) and compares Keras's predictions with DIR/stratum.json.
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def build():
    return keras.Sequential(
        [
            keras.Input((6, 3)),
            keras.layers.Conv1D(4, 3, padding="same", activation="relu"),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.GRU(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="softmax"),
        ],
        name="interop",
    )


def make(directory):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((16, 6, 3), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    model.save(os.path.join(directory, "keras.keras"))
    predictions = model.predict(x, verbose=0)
    model.train_on_batch(x[:8], y[:8])
    record = {
        "x": x.tolist(),
        "y": y.tolist(),
        "predictions": predictions.tolist(),
        "weights_after_step": [np.asarray(w).ravel().tolist() for w in model.weights],
    }
    with open(os.path.join(directory, "keras.json"), "w") as f:
        json.dump(record, f)


def check_one(directory, stem):
    with open(os.path.join(directory, f"{stem}.json")) as f:
        record = json.load(f)
    model = keras.saving.load_model(os.path.join(directory, f"{stem}.keras"))
    inputs = [np.asarray(x, dtype=np.float32) for x in record["inputs"]]
    got = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    want = np.asarray(record["predictions"], dtype=np.float32)
    difference = float(np.max(np.abs(got - want)))
    iterations = int(model.optimizer.iterations.numpy())
    print(f"keras: loaded {stem}.keras ({type(model).__name__}, {len(model.layers)} layers, optimizer {type(model.optimizer).__name__} at iteration {iterations})")
    print(f"keras: {stem}.keras max |keras - stratum| prediction difference {difference:.3g}")
    if iterations != record["iterations"]:
        print(f"keras: optimizer iteration {iterations}, expected {record['iterations']}")
    return difference <= 1e-5 and iterations == record["iterations"]


def check(directory):
    results = [check_one(directory, stem) for stem in ("stratum", "stratum-functional")]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    command, directory = sys.argv[1], sys.argv[2]
    make(directory) if command == "make" else check(directory)
