"""Message loop, data files and timing shared by the Python benchmark workers.

The driver (bench/run.ts) starts a worker as ``python WORKER.py DATA_FOLDER``,
writes one JSON message per line to its standard input and reads one JSON
message per line from its standard output. The messages are the DriverMessage
and WorkerMessage types of bench/workloads.ts, and the workloads arrive inside
the "prepare" messages. Anything else that the worker or its libraries print
goes to standard error, which the driver keeps for error reports.
"""

import gc
import json
import os
import resource
import statistics
import sys
import time
import traceback

import numpy as np

# These constants repeat those of bench/workloads.ts and bench/data.ts.
INPUT_FEATURES = 784
CLASSES = 10
MNIST_DIGITS = 10_000
MNIST_TRAIN_DIGITS = 8_000
MNIST_TEST_DIGITS = MNIST_DIGITS - MNIST_TRAIN_DIGITS
DIGITS_FILE = "digits.f32"
LABELS_FILE = "labels.u8"
IMAGE_SIDE = 28
SEQUENCES = 4_096
SEQUENCE_STEPS = 60
SEQUENCE_FEATURES = 9
LSTM_UNITS = 64
SEQUENCES_FILE = "sequences.f32"
SEQUENCE_TARGETS_FILE = "sequence-targets.f32"


class PeerUnavailable(Exception):
    """Raised when the framework of a worker is not installed or fails to start."""


class Digits:
    """All MNIST digits of the benchmark, in the order that the driver wrote them."""

    def __init__(self, folder):
        self.x = np.fromfile(os.path.join(folder, DIGITS_FILE), dtype="<f4")
        self.labels = np.fromfile(os.path.join(folder, LABELS_FILE), dtype=np.uint8)
        if self.x.size != MNIST_DIGITS * INPUT_FEATURES or self.labels.size != MNIST_DIGITS:
            raise ValueError(
                f"Invalid data files in {folder}: expected {MNIST_DIGITS} digits of "
                f"{INPUT_FEATURES} float32 pixels and {MNIST_DIGITS} labels."
            )
        if self.labels.max() >= CLASSES:
            raise ValueError(f"Invalid label {self.labels.max()} in {folder}: expected 0 to {CLASSES - 1}.")
        self.x = self.x.astype(np.float32, copy=False).reshape(MNIST_DIGITS, INPUT_FEATURES)

    def rows(self, start, count):
        """Return rows [start, start + count) as (pixels, one-hot labels, labels)."""
        if start < 0 or count < 1 or start + count > MNIST_DIGITS:
            raise ValueError(f"Invalid digit rows {start} to {start + count}: expected a non-empty range within 0 to {MNIST_DIGITS}.")
        labels = self.labels[start : start + count]
        one_hot = np.zeros((count, CLASSES), dtype=np.float32)
        one_hot[np.arange(count), labels] = 1.0
        return self.x[start : start + count], one_hot, labels


class Sequences:
    """The synthetic sequences of the LSTM workload, as bench/data.ts wrote them."""

    def __init__(self, folder):
        self.x = np.fromfile(os.path.join(folder, SEQUENCES_FILE), dtype="<f4")
        self.y = np.fromfile(os.path.join(folder, SEQUENCE_TARGETS_FILE), dtype="<f4")
        if self.x.size != SEQUENCES * SEQUENCE_STEPS * SEQUENCE_FEATURES or self.y.size != SEQUENCES:
            raise ValueError(
                f"Invalid sequence files in {folder}: expected {SEQUENCES} sequences of {SEQUENCE_STEPS} steps "
                f"of {SEQUENCE_FEATURES} float32 features and {SEQUENCES} float32 targets."
            )
        self.x = self.x.astype(np.float32, copy=False).reshape(SEQUENCES, SEQUENCE_STEPS, SEQUENCE_FEATURES)
        self.y = self.y.astype(np.float32, copy=False).reshape(SEQUENCES, 1)


class BenchData:
    """Everything a worker trains on: the digits and the sequences."""

    def __init__(self, folder):
        self.digits = Digits(folder)
        self.sequences = Sequences(folder)


def model_of(workload):
    """Return the model of a workload ("mlp", "mnist-cnn" or "lstm"), "mlp" when it leaves it out."""
    return workload.get("model") or "mlp"


def workload_arrays(workload, data):
    """Return (inputs, targets, test) of a workload, shaped for its model, channels last.

    The targets are one-hot labels for the digit models and one value per
    sequence for "lstm"; ``test`` is as in workload_rows, None for "lstm".
    """
    model = model_of(workload)
    if model == "lstm":
        count = workload["samples"]
        if count < 1 or count > SEQUENCES:
            raise ValueError(f"Invalid sequence count {count}: expected 1 to {SEQUENCES}.")
        return data.sequences.x[:count], data.sequences.y[:count], None
    (x, y, _), test = workload_rows(workload, data.digits)
    if model == "mnist-cnn":
        x = x.reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1)
        if test is not None:
            test = (test[0].reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1), test[1], test[2])
    return x, y, test


def workload_rows(workload, digits):
    """Return the pass rows and, for a workload that measures accuracy, the held-out rows."""
    if workload["kind"] == "fit" and workload["samples"] > MNIST_TRAIN_DIGITS:
        raise ValueError(
            f"Invalid workload {workload['id']}: it trains on {workload['samples']} digits, "
            f"but only the first {MNIST_TRAIN_DIGITS} are for training."
        )
    passes = digits.rows(0, workload["samples"])
    test = digits.rows(MNIST_TRAIN_DIGITS, MNIST_TEST_DIGITS) if workload.get("measureAccuracy") else None
    return passes, test


def accuracy_of(probabilities, labels):
    """Return the share of rows whose largest probability is at the row's label."""
    probabilities = np.asarray(probabilities)
    if probabilities.shape != (len(labels), CLASSES):
        raise ValueError(f"Invalid predictions of shape {probabilities.shape} for {len(labels)} rows of {CLASSES} classes.")
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def predict_calls(workload):
    """Return the predict calls per pass of a "predict" workload, 1 when it leaves them out."""
    calls = workload.get("calls") or 1
    if not isinstance(calls, int) or calls < 1:
        raise ValueError(f"Invalid workload {workload['id']}: expected a positive integer `calls`, received {calls!r}.")
    return calls


def repeat(count, action):
    for _ in range(count):
        action()


def time_seconds(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_call_seconds(calls, predict_one):
    """Time each of ``calls`` calls of ``predict_one`` and return the median in seconds."""
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        predict_one()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure_gemm(call, shape, runs, min_run_seconds):
    """Return GFLOP/s of ``runs`` runs, each repeating ``call`` for at least ``min_run_seconds``, after one untimed call."""
    call()
    probe_seconds = max(time_seconds(call), 1e-7)
    repetitions = max(1, int(np.ceil(min_run_seconds / probe_seconds)))
    flops = 2 * shape["m"] * shape["k"] * shape["n"]
    results = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(repetitions):
            call()
        results.append(flops * repetitions / (time.perf_counter() - started) / 1e9)
    return results


def max_rss_bytes():
    """Return the peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def serve(create_runner):
    """Run the worker's message loop until the driver sends "exit" or closes standard input.

    ``create_runner()`` imports the framework and returns an object with a
    ``description`` string, ``prepare(workload, data)`` (data a BenchData) returning an object
    with ``run()``, ``evaluate()`` and ``release()`` (as PreparedWorkload in
    bench/runners.ts), and ``create_gemm_call(shape)`` returning a callable or None.
    """
    # Keep a private copy of standard output for the messages, and send
    # everything else printed to file descriptor 1 (by Python or by C
    # libraries) to standard error.
    messages = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(message):
        messages.write(json.dumps(message) + "\n")
        messages.flush()

    if len(sys.argv) != 2:
        send({"type": "error", "message": f"Usage: {sys.argv[0]} DATA_FOLDER (started by bench/run.ts)."})
        return 2
    try:
        runner = create_runner()
        data = BenchData(sys.argv[1])
    except Exception as error:  # The driver shows the reason and skips this framework.
        detail = str(error) if isinstance(error, PeerUnavailable) else traceback.format_exc()
        send({"type": "error", "message": detail})
        return 1
    send({"type": "hello", "description": runner.description, "maxRssBytes": max_rss_bytes()})

    prepared = None
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        kind = message["type"]
        try:
            if kind == "prepare":
                if prepared is not None:
                    prepared.release()
                prepared = runner.prepare(message["workload"], data)
                gc.collect()
                # The warm-up passes compile the hot code paths and are not reported.
                started = time.perf_counter()
                passes = 0
                while True:
                    prepared.run()
                    passes += 1
                    elapsed = time.perf_counter() - started
                    if elapsed >= message["warmupSeconds"] or passes >= message["maxWarmupPasses"]:
                        break
                send({"type": "prepared", "warmupSeconds": elapsed, "warmupPasses": passes})
            elif kind in ("measure", "evaluate") and prepared is None:
                raise ValueError(f"Received a {kind} request before any prepare request.")
            elif kind == "measure":
                # No collection before a timed pass, as in the Node.js workers (see bench/worker.ts).
                send({"type": "measured", "seconds": prepared.run()})
            elif kind == "evaluate":
                send({"type": "evaluated", "accuracy": prepared.evaluate()})
            elif kind == "release":
                if prepared is not None:
                    prepared.release()
                prepared = None
                gc.collect()
                send({"type": "released", "maxRssBytes": max_rss_bytes()})
            elif kind == "gemm":
                call = runner.create_gemm_call(message["shape"])
                if call is None:
                    raise ValueError(f"This framework has no matrix-multiply measurement for {message['shape']['label']}.")
                gc.collect()
                send({"type": "gemm-result", "gflops": measure_gemm(call, message["shape"], message["runs"], message["minRunSeconds"])})
            elif kind == "exit":
                break
            else:
                raise ValueError(f"Invalid message type {kind!r}.")
        except Exception:  # The driver records the failure and stops this worker.
            send({"type": "error", "message": traceback.format_exc()})
    return 0
