"""PyTorch benchmark worker: the same models, data and passes as bench/runners.ts.

Started by bench/run.ts as ``python3 torch_worker.py DATA_FOLDER``, by
default with /usr/bin/python3 and Debian's python3-torch package. The digit
models end in a Linear layer, and training uses ``cross_entropy`` on its
logits, which computes the same loss as softmax followed by categorical
crossentropy. Predictions apply the softmax. The CNN takes its images
channels first (PyTorch's layout), which for one channel holds the same
bytes as the 28×28×1 images of the other frameworks. The LSTM model trains
on ``mse_loss``.
"""

import ctypes
import os
import sys

from protocol import (
    IMAGE_SIDE,
    LSTM_UNITS,
    SEQUENCE_FEATURES,
    PeerUnavailable,
    accuracy_of,
    median_call_seconds,
    model_of,
    predict_calls,
    repeat,
    serve,
    time_seconds,
    workload_arrays,
)


def describe_blas():
    """Return the BLAS libraries that this process loaded, from /proc/self/maps, with OpenBLAS's build and threads when it is OpenBLAS."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return "unknown (no /proc/self/maps)"
    candidates = sorted(path for path in paths if any(name in os.path.basename(path) for name in ("blas", "blis", "mkl")))
    if not candidates:
        return "none loaded"
    for path in candidates:
        try:
            library = ctypes.CDLL(path)
            library.openblas_get_config.restype = ctypes.c_char_p
            library.openblas_get_corename.restype = ctypes.c_char_p
        except (OSError, AttributeError):
            continue  # Not OpenBLAS: try the next library.
        config = library.openblas_get_config().decode()
        core = library.openblas_get_corename().decode()
        return f"{config}, core {core}, {library.openblas_get_num_threads()} threads ({', '.join(candidates)})"
    if any("/blas/libblas.so" in path for path in candidates):
        # Debian's reference BLAS: correct, but many times slower than OpenBLAS.
        return f"{', '.join(candidates)}, Debian's reference BLAS: install libopenblas0-pthread, which python3-torch recommends"
    return ", ".join(candidates)


def create_runner():
    try:
        import torch
        import torch.nn.functional as functional
    except ImportError as error:
        raise PeerUnavailable(
            f"PyTorch is not installed for {sys.executable} ({error}). Install Debian's package: apt-get install python3-torch."
        ) from error

    # The thread counts stay at the build's defaults. Debian's python3-torch
    # 1.13 starts with 1 intra-op thread, and OpenBLAS then uses every core
    # inside each product. Raising torch's threads to 2 on a 2-core machine
    # made OpenBLAS's and torch's threads compete, and training at batch 256
    # ran about 6 times slower in a probe.

    def build_model(hidden_units):
        layers = []
        inputs = 784
        for units in [*hidden_units, 10]:
            linear = torch.nn.Linear(inputs, units)
            # Glorot uniform and zero bias, the defaults of Keras's Dense.
            torch.nn.init.xavier_uniform_(linear.weight)
            torch.nn.init.zeros_(linear.bias)
            layers.append(linear)
            layers.append(torch.nn.ReLU())
            inputs = units
        return torch.nn.Sequential(*layers[:-1])

    def keras_init(module):
        """Glorot uniform kernels and zero biases, the defaults of Keras's Conv2D and Dense."""
        torch.nn.init.xavier_uniform_(module.weight)
        torch.nn.init.zeros_(module.bias)
        return module

    def build_cnn():
        # 28×28 > conv 26×26 > pool 13×13 > conv 11×11 > pool 5×5, with 64 channels.
        flat = 64 * (((IMAGE_SIDE - 2) // 2 - 2) // 2) ** 2
        return torch.nn.Sequential(
            keras_init(torch.nn.Conv2d(1, 32, 3)),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            keras_init(torch.nn.Conv2d(32, 64, 3)),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Dropout(0.5),
            keras_init(torch.nn.Linear(flat, 10)),
        )

    class LstmRegressor(torch.nn.Module):
        """LSTM(64) over the steps, then Linear(64 → 1) on the last hidden state."""

        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(SEQUENCE_FEATURES, LSTM_UNITS, batch_first=True)
            self.output = keras_init(torch.nn.Linear(LSTM_UNITS, 1))
            # Keras's LSTM defaults: Glorot uniform input kernel, orthogonal
            # recurrent kernel, zero bias except 1 for the forget gate (PyTorch's
            # gate order is input, forget, cell, output, and it has two biases).
            torch.nn.init.xavier_uniform_(self.lstm.weight_ih_l0)
            torch.nn.init.orthogonal_(self.lstm.weight_hh_l0)
            with torch.no_grad():
                self.lstm.bias_ih_l0.zero_()
                self.lstm.bias_hh_l0.zero_()
                self.lstm.bias_ih_l0[LSTM_UNITS : 2 * LSTM_UNITS] = 1.0

        def forward(self, x):
            _, (hidden, _) = self.lstm(x)
            return self.output(hidden[-1])

    class Prepared:
        def __init__(self, workload, data):
            torch.manual_seed(0)
            self.workload = workload
            model = model_of(workload)
            x, y, test = workload_arrays(workload, data)
            if model == "mlp":
                self.model = build_model(workload["hiddenUnits"])
            elif model == "mnist-cnn":
                self.model = build_cnn()
                x = x.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE)
                if test is not None:
                    test = (test[0].reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE), test[1], test[2])
            elif model == "lstm":
                self.model = LstmRegressor()
            else:
                raise ValueError(f'Invalid model {model!r}: expected "mlp", "mnist-cnn" or "lstm".')
            # Keras's Adam defaults: learning rate 0.001, betas 0.9 and 0.999, epsilon 1e-7.
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
            self.x = torch.from_numpy(x)
            if model == "lstm":
                self.targets = torch.from_numpy(y)
                self.loss = functional.mse_loss
            else:
                self.targets = torch.from_numpy(y.argmax(axis=1).astype("int64"))
                self.loss = functional.cross_entropy
            self.test = test
            self.generator = torch.Generator().manual_seed(0)

        def fit_epoch(self):
            self.model.train()
            batch = self.workload["batchSize"]
            order = torch.randperm(len(self.targets), generator=self.generator)
            for start in range(0, len(order), batch):
                index = order[start : start + batch]
                self.optimizer.zero_grad(set_to_none=True)
                loss = self.loss(self.model(self.x[index]), self.targets[index])
                loss.backward()
                self.optimizer.step()

        def predict(self, x, batch):
            self.model.eval()
            with torch.inference_mode():
                outputs = [torch.softmax(self.model(x[start : start + batch]), dim=1) for start in range(0, len(x), batch)]
                return torch.cat(outputs)

        def predict_one_median(self):
            self.model.eval()
            x1 = self.x[:1]
            with torch.inference_mode():
                return median_call_seconds(self.workload["calls"], lambda: torch.softmax(self.model(x1), dim=1))

        def run(self):
            kind = self.workload["kind"]
            if kind == "fit":
                return time_seconds(self.fit_epoch)
            if kind == "predict":
                return time_seconds(lambda: repeat(predict_calls(self.workload), lambda: self.predict(self.x, self.workload["batchSize"])))
            if kind == "predict-one":
                return self.predict_one_median()
            raise ValueError(f"Invalid workload kind {kind!r}.")

        def evaluate(self):
            if self.test is None:
                raise ValueError(f"Workload {self.workload['id']} does not measure accuracy.")
            test_x, _, test_labels = self.test
            return accuracy_of(self.predict(torch.from_numpy(test_x), 256).numpy(), test_labels)

        def release(self):
            self.model = None
            self.optimizer = None

    class Runner:
        description = f"PyTorch {torch.__version__}, intra-op threads {torch.get_num_threads()}, BLAS {describe_blas()}"

        def prepare(self, workload, data):
            return Prepared(workload, data)

        def create_gemm_call(self, shape):
            m, k, n = shape["m"], shape["k"], shape["n"]
            # A transposed operand is stored as the other shape and passed as a
            # transposed view, so torch.mm hands the transpose flag to BLAS.
            a = torch.rand(k, m).t() if shape["transposeA"] else torch.rand(m, k)
            b = torch.rand(n, k).t() if shape["transposeB"] else torch.rand(k, n)
            out = torch.empty(m, n)
            return lambda: torch.mm(a, b, out=out)

    return Runner()


if __name__ == "__main__":
    sys.exit(serve(create_runner))
