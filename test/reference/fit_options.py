"""Record Keras fit/evaluate results for sample weights, class weights and step options.

Every case uses Dense(3, relu) -> Dense(2, softmax) on 4 features with seeded
float32 weights, SGD(0.1), categorical crossentropy, 10 samples and
shuffle=False. Cases:
  sample_weight: metrics=["accuracy"], weighted_metrics=["accuracy"],
      sample_weight with zeros, batch 4, 2 epochs; evaluate with the weights.
  class_weight: class_weight={0: 1.0, 1: 3.0}, batch 4, 2 epochs.
  zero_weights: every sample weight 0, weighted_metrics=["accuracy"].
  steps_and_validation: batch 3, steps_per_epoch=2 (the array iterator
      continues across epochs), validation_data with validation_batch_size
      4, validation_freq=2, initial_epoch=1, epochs=4.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/fit_options.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 2468
SAMPLES = 10


def build(rng):
    keras.utils.clear_session()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2, activation="softmax")])
    weights = [rng.uniform(-0.9, 0.9, size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    return model, weights


def data(rng):
    x = rng.uniform(-1, 1, size=(SAMPLES, 4)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, SAMPLES)]
    return x, y


def history_of(h):
    return {k: [float(v) for v in vs] for k, vs in h.history.items()}, [int(e) for e in h.epoch]


def case(rng, compile_args, fit_args, evaluate_args=None):
    model, initial = build(rng)
    x, y = data(rng)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy", **compile_args)
    extra = {}
    if "sample_weight" in fit_args:
        extra["sample_weight"] = to_list(fit_args["sample_weight"])
    if "validation_data" in fit_args:
        xv, yv = fit_args["validation_data"]
        extra["validation"] = {"x": to_list(xv), "y": to_list(yv)}
    history, epochs = history_of(model.fit(x, y, shuffle=False, verbose=0, **fit_args))
    result = {
        "initial_weights": [to_list(w) for w in initial],
        "x": to_list(x),
        "y": to_list(y),
        "history": history,
        "epochs": epochs,
        "final_weights": [to_list(w) for w in model.get_weights()],
        **extra,
    }
    if evaluate_args is not None:
        result["evaluate"] = {
            k: float(v)
            for k, v in model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True, **evaluate_args).items()
        }
    return result


def main():
    rng = np.random.default_rng(SEED)
    sample_weight = np.array([1, 0, 2, 1, 0.5, 0, 1, 3, 1, 0], dtype="float32")
    cases = {
        "sample_weight": case(
            rng,
            {"metrics": ["accuracy"], "weighted_metrics": ["accuracy"]},
            {"batch_size": 4, "epochs": 2, "sample_weight": sample_weight},
            {"sample_weight": sample_weight},
        ),
        "class_weight": case(rng, {"metrics": ["accuracy"]}, {"batch_size": 4, "epochs": 2, "class_weight": {0: 1.0, 1: 3.0}}),
        "zero_weights": case(
            rng,
            {"weighted_metrics": ["accuracy"]},
            {"batch_size": 4, "epochs": 1, "sample_weight": np.zeros(SAMPLES, dtype="float32")},
        ),
    }
    xv = rng.uniform(-1, 1, size=(6, 4)).astype("float32")
    yv = np.eye(2, dtype="float32")[rng.integers(0, 2, 6)]
    cases["steps_and_validation"] = case(
        rng,
        {"metrics": ["accuracy"]},
        {
            "batch_size": 3,
            "epochs": 4,
            "initial_epoch": 1,
            "steps_per_epoch": 2,
            "validation_data": (xv, yv),
            "validation_batch_size": 4,
            "validation_freq": 2,
        },
    )
    write_json("fit_options.json", {"keras_version": keras.__version__, "cases": cases})


if __name__ == "__main__":
    main()
