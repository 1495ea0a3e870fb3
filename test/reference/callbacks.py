"""Record Keras callback behaviour on a model with a known trajectory.

The model is one weight: Dense(1, use_bias=False) with its kernel set to 0,
trained with SGD on x = 1 and y = 1 under mean absolute error, one sample
and one batch per epoch. The loss of an epoch is |1 - w| for the weight at
the start of that epoch, and each step moves w by the learning rate toward
1, so the weight overshoots and the loss oscillates once it is close.

Each case stores the history, the epochs that ran, the final weight and
the text the callbacks printed (and, for CSVLogger, the file; for
ModelCheckpoint, the names of the files it wrote, with the temporary folder
written as FOLDER in the printed text).

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/callbacks.py
"""

import contextlib
import io
import os
import tempfile

import keras
import numpy as np

from reference_io import write_json


def one_weight(learning_rate):
    keras.utils.clear_session()
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mae")
    return model


def run(learning_rate, epochs, callbacks, y=None):
    model = one_weight(learning_rate)
    x = np.ones((1, 1), dtype="float32")
    y = np.ones((1, 1), dtype="float32") if y is None else y
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = model.fit(x, y, epochs=epochs, batch_size=1, verbose=0, shuffle=False, callbacks=callbacks)
    return {
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "epochs": [int(e) for e in history.epoch],
        "final_weight": float(model.get_weights()[0][0][0]),
        "printed": out.getvalue(),
    }


def main():
    cases = {}
    cases["early_stopping"] = run(0.3, 10, [keras.callbacks.EarlyStopping(monitor="loss", patience=1, verbose=1)])
    cases["early_stopping_restore"] = run(
        0.3, 10, [keras.callbacks.EarlyStopping(monitor="loss", patience=2, verbose=1, restore_best_weights=True)]
    )
    cases["early_stopping_restore_at_end"] = run(
        0.3, 3, [keras.callbacks.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)]
    )
    cases["early_stopping_baseline"] = run(
        0.1, 10, [keras.callbacks.EarlyStopping(monitor="loss", patience=2, baseline=0.75, start_from_epoch=1, verbose=1)]
    )
    cases["early_stopping_min_delta"] = run(0.05, 10, [keras.callbacks.EarlyStopping(monitor="loss", min_delta=0.06, patience=1)])
    cases["reduce_lr"] = run(
        0.3, 8, [keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=1, min_lr=0.05, verbose=1)]
    )
    cases["scheduler"] = run(
        0.3, 4, [keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.5, verbose=1)]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "log.csv")
        cases["csv_logger"] = run(0.3, 3, [keras.callbacks.CSVLogger(path, separator=";")])
        with open(path, newline="") as handle:
            cases["csv_logger"]["csv"] = handle.read()
    with tempfile.TemporaryDirectory() as folder:
        template = os.path.join(folder, "w-{epoch:02d}-{loss:.2f}.weights.h5")
        checkpoint = keras.callbacks.ModelCheckpoint(template, monitor="loss", save_best_only=True, save_weights_only=True, verbose=1)
        cases["checkpoint_best"] = run(0.3, 6, [checkpoint])
        cases["checkpoint_best"]["files"] = sorted(os.listdir(folder))
        cases["checkpoint_best"]["printed"] = cases["checkpoint_best"]["printed"].replace(folder, "FOLDER")
    nan = np.array([[np.nan]], dtype="float32")
    cases["terminate_on_nan"] = run(0.3, 3, [keras.callbacks.TerminateOnNaN()], y=nan)
    write_json("callbacks.json", {"keras_version": keras.__version__, "cases": cases})


if __name__ == "__main__":
    main()
