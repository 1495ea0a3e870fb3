"""Record Keras results for functional and subclassed models.

Cases (all weights are seeded float32 values set after building; training
uses SGD(0.1), batch_size=4, shuffle=False, 10 samples, 2 epochs):
  two_branch: inputs a (3) and b (2). a -> pa Dense(4, tanh) -> s
      Dense(4, relu), called twice (a shared layer) -> out1 Dense(1,
      sigmoid); b -> pb Dense(3) -> out2 Dense(3, softmax). Losses
      binary and categorical crossentropy with loss_weights [1.0, 0.5],
      metrics [["accuracy"], ["accuracy", "categorical_accuracy"]].
  dict_io: inputs and outputs given as dicts. Input "features" (4) ->
      h Dense(3, relu) -> score Dense(1) and label Dense(2, softmax); losses
      and metrics as dicts keyed by output name, labels and data as dicts.
  subclassed: a Model subclass holding two Dense layers (5 relu, then 1),
      mean squared error.
  call_options (stored apart from the cases): MultiHeadAttention called on
      one query tensor with use_causal_mask=True, then Dense(2); its config
      and predictions.

For each case the script stores the history, evaluate() as a list and as
a dict, predict() and the final weights; for the functional cases also
get_config() and the summary text at line lengths 76 and 108.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/functional.py
"""

import contextlib
import io
import json
import os

# rich sizes its console from COLUMNS; make it wide enough for line_length=108.
os.environ["COLUMNS"] = "200"

import keras  # noqa: E402
import numpy as np  # noqa: E402

from reference_io import to_list, write_json  # noqa: E402

SEED = 4321
SAMPLES = 10
EPOCHS = 2
BATCH_SIZE = 4


def seeded(rng, model):
    weights = [rng.uniform(-0.8, 0.8, size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    return weights


def summary_text(model, line_length):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        model.summary(line_length=line_length)
    return buffer.getvalue()


def record(model, x, y, rng, summaries):
    initial = seeded(rng, model)
    result = {"initial_weights": [to_list(w) for w in initial]}
    if summaries:
        result["config"] = json.loads(json.dumps(model.get_config()))
    if summaries:
        result["summary"] = {str(n): summary_text(model, n) for n in (76, 108)}
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=False, verbose=0)
    result["history"] = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    evaluated = model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0)
    result["evaluate_list"] = [float(v) for v in evaluated] if isinstance(evaluated, list) else float(evaluated)
    result["evaluate_dict"] = {k: float(v) for k, v in model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0, return_dict=True).items()}
    predictions = model.predict(x, verbose=0)
    if isinstance(predictions, dict):
        result["predict"] = {k: to_list(v) for k, v in predictions.items()}
    elif isinstance(predictions, list):
        result["predict"] = [to_list(v) for v in predictions]
    else:
        result["predict"] = to_list(predictions)
    result["final_weights"] = [to_list(w) for w in model.get_weights()]
    return result


def two_branch(rng):
    keras.utils.clear_session()
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    shared = keras.layers.Dense(4, activation="relu", name="s")
    h = shared(shared(keras.layers.Dense(4, activation="tanh", name="pa")(a)))
    out1 = keras.layers.Dense(1, activation="sigmoid", name="out1")(h)
    out2 = keras.layers.Dense(3, activation="softmax", name="out2")(keras.layers.Dense(3, name="pb")(b))
    model = keras.Model([a, b], [out1, out2], name="two_branch")
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=["binary_crossentropy", "categorical_crossentropy"],
        loss_weights=[1.0, 0.5],
        metrics=[["accuracy"], ["accuracy", "categorical_accuracy"]],
    )
    xa = rng.uniform(-1, 1, size=(SAMPLES, 3)).astype("float32")
    xb = rng.uniform(-1, 1, size=(SAMPLES, 2)).astype("float32")
    y1 = (rng.uniform(size=(SAMPLES, 1)) > 0.5).astype("float32")
    y2 = np.eye(3, dtype="float32")[rng.integers(0, 3, SAMPLES)]
    result = record(model, [xa, xb], [y1, y2], rng, summaries=True)
    result["data"] = {"x": [to_list(xa), to_list(xb)], "y": [to_list(y1), to_list(y2)]}
    return result


def dict_io(rng):
    keras.utils.clear_session()
    features = keras.Input((4,), name="features")
    h = keras.layers.Dense(3, activation="relu", name="h")(features)
    score = keras.layers.Dense(1, name="score")(h)
    label = keras.layers.Dense(2, activation="softmax", name="label")(h)
    model = keras.Model({"features": features}, {"score": score, "label": label}, name="dict_io")
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss={"score": "mse", "label": "categorical_crossentropy"},
        metrics={"label": ["accuracy"]},
    )
    x = rng.uniform(-1, 1, size=(SAMPLES, 4)).astype("float32")
    y_score = rng.uniform(-1, 1, size=(SAMPLES, 1)).astype("float32")
    y_label = np.eye(2, dtype="float32")[rng.integers(0, 2, SAMPLES)]
    result = record(model, {"features": x}, {"score": y_score, "label": y_label}, rng, summaries=True)
    result["data"] = {"x": to_list(x), "y_score": to_list(y_score), "y_label": to_list(y_label)}
    return result


class TwoDense(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(5, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def subclassed(rng):
    keras.utils.clear_session()
    model = TwoDense()
    model.build((None, 3))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = rng.uniform(-1, 1, size=(SAMPLES, 3)).astype("float32")
    y = rng.uniform(-1, 1, size=(SAMPLES, 1)).astype("float32")
    model.evaluate(x, y, verbose=0)
    result = record(model, x, y, rng, summaries=False)
    result["data"] = {"x": to_list(x), "y": to_list(y)}
    return result


def call_options(rng):
    """A causal self-attention call, whose option the functional config records."""
    keras.utils.clear_session()
    query = keras.Input((4, 6), name="query")
    attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(query, query, use_causal_mask=True)
    output = keras.layers.Dense(2, name="head")(attention)
    model = keras.Model(query, output, name="call_options")
    weights = seeded(rng, model)
    x = rng.uniform(-1, 1, size=(3, 4, 6)).astype("float32")
    return {
        "config": json.loads(json.dumps(model.get_config())),
        "initial_weights": [to_list(w) for w in weights],
        "x": to_list(x),
        "predict": to_list(model.predict(x, verbose=0)),
    }


def main():
    rng = np.random.default_rng(SEED)
    write_json(
        "functional.json",
        {
            "keras_version": keras.__version__,
            "cases": {"two_branch": two_branch(rng), "dict_io": dict_io(rng), "subclassed": subclassed(rng)},
            "call_options": call_options(np.random.default_rng(SEED + 1)),
        },
    )


if __name__ == "__main__":
    main()
