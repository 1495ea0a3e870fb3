"""Keras 3 on JAX benchmark worker: the same models, data and passes as bench/runners.ts.

Started by bench/run.ts as ``KERAS_BACKEND=jax python keras_worker.py
DATA_FOLDER``, by default with the virtual environment /tmp/ref (create it
with ``python3 -m venv /tmp/ref && /tmp/ref/bin/pip install keras==3.15.1 jax h5py``).
"""

import os
import sys

from protocol import LSTM_UNITS, PeerUnavailable, accuracy_of, median_call_seconds, model_of, predict_calls, repeat, serve, time_seconds, workload_arrays


def create_runner():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import jax
        import jaxlib
        import keras
    except ImportError as error:
        raise PeerUnavailable(
            f"Keras or JAX is not installed for {sys.executable} ({error}). "
            "Install them with: python3 -m venv /tmp/ref && /tmp/ref/bin/pip install keras==3.15.1 jax h5py"
        ) from error
    if keras.backend.backend() != "jax":
        raise PeerUnavailable(f'Keras runs on its "{keras.backend.backend()}" backend, expected "jax": set KERAS_BACKEND=jax.')

    class Prepared:
        def __init__(self, workload, data):
            keras.utils.set_random_seed(0)
            self.workload = workload
            self.x, self.y, self.test = workload_arrays(workload, data)
            layers = [keras.Input(shape=self.x.shape[1:])]
            model = model_of(workload)
            if model == "mlp":
                layers += [keras.layers.Dense(units, activation="relu") for units in workload["hiddenUnits"]]
                layers.append(keras.layers.Dense(10, activation="softmax"))
            elif model == "mnist-cnn":
                layers += [
                    keras.layers.Conv2D(32, 3, activation="relu"),
                    keras.layers.MaxPooling2D(2),
                    keras.layers.Conv2D(64, 3, activation="relu"),
                    keras.layers.MaxPooling2D(2),
                    keras.layers.Flatten(),
                    keras.layers.Dropout(0.5),
                    keras.layers.Dense(10, activation="softmax"),
                ]
            elif model == "lstm":
                layers += [keras.layers.LSTM(LSTM_UNITS), keras.layers.Dense(1)]
            else:
                raise ValueError(f'Invalid model {model!r}: expected "mlp", "mnist-cnn" or "lstm".')
            self.model = keras.Sequential(layers)
            self.model.compile(optimizer="adam", loss="mean_squared_error" if model == "lstm" else "categorical_crossentropy")

        def run(self):
            kind = self.workload["kind"]
            batch = self.workload["batchSize"]
            if kind == "fit":
                return time_seconds(lambda: self.model.fit(self.x, self.y, batch_size=batch, epochs=1, shuffle=True, verbose=0))
            if kind == "predict":
                return time_seconds(lambda: repeat(predict_calls(self.workload), lambda: self.model.predict(self.x, batch_size=batch, verbose=0)))
            if kind == "predict-one":
                # predict_on_batch returns a NumPy array, so the values are computed when it returns.
                x1 = self.x[:1]
                return median_call_seconds(self.workload["calls"], lambda: self.model.predict_on_batch(x1))
            raise ValueError(f"Invalid workload kind {kind!r}.")

        def evaluate(self):
            if self.test is None:
                raise ValueError(f"Workload {self.workload['id']} does not measure accuracy.")
            test_x, _, test_labels = self.test
            return accuracy_of(self.model.predict(test_x, batch_size=256, verbose=0), test_labels)

        def release(self):
            self.model = None
            keras.backend.clear_session()

    devices = ", ".join(sorted({device.platform for device in jax.devices()}))

    class Runner:
        description = f"Keras {keras.__version__}, JAX {jax.__version__} (jaxlib {jaxlib.__version__}), backend jax on {devices}"

        def prepare(self, workload, data):
            return Prepared(workload, data)

        def create_gemm_call(self, shape):
            return None

    return Runner()


if __name__ == "__main__":
    sys.exit(serve(create_runner))
