"""Capture the exact stdout of Keras model.summary() and fit(verbose=2).

Keras sizes the summary table as min(default width, terminal columns - 4),
where the terminal columns come from shutil.get_terminal_size(). Each
scenario therefore runs in a child process whose stdout is a pipe, once with
COLUMNS=92 (an 88-character table) and once with COLUMNS unset (80 columns
by fallback, so a 76-character table). The stored strings are the child's raw
stdout, with nothing stripped.

The fit_verbose_2 scenario prints per-epoch timings, so its text differs from
run to run.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/summary.py
"""

import os
import subprocess
import sys

SEED = 1234
SCENARIOS = [
    "mnist_before_compile",
    "mnist_after_fit",
    "unbuilt_sequential",
    "input_rank_3",
    "flatten_dropout_activation",
    "fit_verbose_2",
]
# None means the variable is removed from the child's environment.
COLUMNS_SETTINGS = {"columns_92": "92", "columns_unset": None}
# Variables that would make rich treat a pipe as a terminal and add colour codes.
RICH_TERMINAL_VARIABLES = ["FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"]


def build_mnist_model(keras):
    keras.utils.clear_session()
    return keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="sequential",
    )


def compile_mnist_model(keras, model):
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )


def random_mnist_data(samples):
    import numpy as np

    rng = np.random.default_rng(SEED)
    x = rng.uniform(size=(samples, 784)).astype("float32")
    labels = rng.integers(0, 10, size=(samples,))
    y = np.eye(10, dtype="float32")[labels]
    return x, y


def run_scenario(name):
    """Print one scenario's output to stdout. Only the child process calls this."""
    import keras

    keras.utils.set_random_seed(SEED)
    if name == "mnist_before_compile":
        build_mnist_model(keras).summary()
    elif name == "mnist_after_fit":
        model = build_mnist_model(keras)
        compile_mnist_model(keras, model)
        x, y = random_mnist_data(64)
        model.fit(x, y, epochs=1, verbose=0)
        model.summary()
    elif name == "unbuilt_sequential":
        keras.utils.clear_session()
        keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2)]).summary()
    elif name == "input_rank_3":
        keras.utils.clear_session()
        keras.Sequential([keras.Input((5, 3)), keras.layers.Dense(4)]).summary()
    elif name == "flatten_dropout_activation":
        keras.utils.clear_session()
        keras.Sequential(
            [
                keras.Input((28, 28)),
                keras.layers.Flatten(),
                keras.layers.Dense(32),
                keras.layers.Dropout(0.2),
                keras.layers.Activation("relu"),
                keras.layers.Dense(10),
            ]
        ).summary()
    elif name == "fit_verbose_2":
        model = build_mnist_model(keras)
        compile_mnist_model(keras, model)
        x, y = random_mnist_data(100)
        model.fit(x, y, epochs=2, verbose=2, validation_split=0.2)
    else:
        raise ValueError(f"Invalid scenario {name!r}. Expected one of {SCENARIOS}.")


def capture_scenario(name, columns):
    """Run one scenario in a child process and return its raw stdout."""
    environment = dict(os.environ, KERAS_BACKEND="jax")
    for variable in RICH_TERMINAL_VARIABLES + ["COLUMNS"]:
        environment.pop(variable, None)
    if columns is not None:
        environment["COLUMNS"] = columns
    # stdin and stderr are not terminals either, because rich reads the
    # terminal size from any standard stream that is one.
    completed = subprocess.run(
        [sys.executable, os.path.abspath(__file__), name],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"Scenario {name!r} failed with exit code {completed.returncode}:\n"
            + completed.stderr.decode()
        )
    return completed.stdout.decode("utf-8")


def main():
    import keras

    from reference_io import write_json

    outputs = {
        setting: {name: capture_scenario(name, columns) for name in SCENARIOS}
        for setting, columns in COLUMNS_SETTINGS.items()
    }
    write_json("summary.json", {"seed": SEED, "outputs": outputs})


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run_scenario(sys.argv[1])
    else:
        main()
