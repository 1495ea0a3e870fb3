"""Record Keras metric results batch by batch, with configs and names.

Each case builds one keras.metrics class from its snake_case config, feeds
it several batches (some with sample weights, some empty) and records the
result after every batch, then once more after reset_state() and one more
batch. The test rebuilds the metric with Stratum's fromConfig and replays
the same batches.

Non-finite results are written as the strings "NaN", "Infinity" and
"-Infinity", since JSON has no literal for them.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/metrics.py
"""

import math

import keras
import numpy as np

from reference_io import write_json

RNG = np.random.default_rng(20240611)


def encode(value):
    """Convert a result or config value into JSON-safe Python values."""
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        array = np.asarray(value)
        if array.ndim == 0:
            return encode(array.item())
        return [encode(item) for item in array.tolist()]
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, (np.floating, np.integer)):
        return encode(value.item())
    return value


def batch(y_true, y_pred, sample_weight=None, label_dtype="float32"):
    """Return one batch as arrays, with labels in `label_dtype`."""
    return {
        "y_true": np.asarray(y_true, dtype=label_dtype),
        "y_pred": np.asarray(y_pred, dtype="float32"),
        "sample_weight": None if sample_weight is None else np.asarray(sample_weight, dtype="float32"),
    }


def flat(array):
    return {"values": encode(array.reshape(-1)), "shape": list(array.shape)}


def run_case(case_id, class_name, config, batches, reset_batch=None):
    """Run one metric over the batches and return the JSON case."""
    metric = getattr(keras.metrics, class_name)(**config)
    results = []
    for item in batches:
        metric.update_state(item["y_true"], item["y_pred"], sample_weight=item["sample_weight"])
        results.append(encode(metric.result()))
    reset_result = None
    if reset_batch is not None:
        metric.reset_state()
        metric.update_state(
            reset_batch["y_true"], reset_batch["y_pred"], sample_weight=reset_batch["sample_weight"]
        )
        reset_result = encode(metric.result())
    direction = getattr(metric, "_direction", None)
    return {
        "id": case_id,
        "class_name": class_name,
        "config_in": encode(config),
        "name": metric.name,
        "config": encode(metric.get_config()),
        "direction": direction,
        "batches": [
            {
                "y_true": flat(item["y_true"]),
                "y_pred": flat(item["y_pred"]),
                "sample_weight": None if item["sample_weight"] is None else flat(item["sample_weight"]),
            }
            for item in batches
        ],
        "results": results,
        "reset_batch": None
        if reset_batch is None
        else {
            "y_true": flat(reset_batch["y_true"]),
            "y_pred": flat(reset_batch["y_pred"]),
            "sample_weight": None if reset_batch["sample_weight"] is None else flat(reset_batch["sample_weight"]),
        },
        "reset_result": reset_result,
    }


def probabilities(rows, cols):
    logits = RNG.normal(size=(rows, cols))
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def one_hot(labels, cols):
    return np.eye(cols)[labels]


def binary_batches(columns=1, weighted=True, empty=True):
    """Three batches of 0/1 labels and probabilities, one weighted, plus an empty one."""
    items = []
    for index, rows in enumerate([6, 5, 7]):
        labels = RNG.integers(0, 2, size=(rows, columns))
        preds = np.round(RNG.uniform(size=(rows, columns)), 3)
        weights = np.round(RNG.uniform(0, 2, size=(rows,)), 2) if weighted and index == 1 else None
        items.append(batch(labels, preds, weights))
    if empty:
        items.append(batch(np.zeros((0, columns)), np.zeros((0, columns))))
    return items


def categorical_batches(cols=4, sparse=False, weighted=True):
    items = []
    for index, rows in enumerate([5, 6, 4]):
        labels = RNG.integers(0, cols, size=(rows,))
        preds = np.round(probabilities(rows, cols), 4)
        weights = np.round(RNG.uniform(0, 2, size=(rows,)), 2) if weighted and index == 1 else None
        y_true = labels if sparse else one_hot(labels, cols)
        items.append(batch(y_true, preds, weights))
    return items


def regression_batches(cols=3, positive=False, weighted=True):
    items = []
    for index, rows in enumerate([4, 6, 5]):
        labels = RNG.normal(size=(rows, cols))
        preds = labels + RNG.normal(scale=0.5, size=(rows, cols))
        if positive:
            labels, preds = np.abs(labels) + 0.1, np.abs(preds) + 0.05
        weights = np.round(RNG.uniform(0, 2, size=(rows,)), 2) if weighted and index == 1 else None
        items.append(batch(np.round(labels, 3), np.round(preds, 3), weights))
    return items


def build_cases():
    cases = []
    zero_weights = batch([[1], [0], [1]], [[0.9], [0.2], [0.4]], [0, 0, 0])

    # Reduction metrics: update_state(values, sample_weight).
    for class_name in ["Mean", "Sum"]:
        metric_batches = [
            batch([1, 2, 3, 4], [1, 1, 1, 1], None),
            batch([[1, 2], [3, 5]], [1, 1], [0.5, 2.0]),
            batch([7, 8], [1, 1], [0, 0]),
            batch([[1, 2, 3]], [1, 1], [[1, 0, 2]]),
        ]
        metric = getattr(keras.metrics, class_name)()
        results = []
        for item in metric_batches:
            metric.update_state(item["y_true"], sample_weight=item["sample_weight"])
            results.append(encode(metric.result()))
        cases.append(
            {
                "id": f"{class_name.lower()} values",
                "class_name": class_name,
                "config_in": {},
                "name": metric.name,
                "config": encode(metric.get_config()),
                "direction": getattr(metric, "_direction", None),
                "values_only": True,
                "batches": [
                    {
                        "y_true": flat(item["y_true"]),
                        "y_pred": flat(item["y_pred"]),
                        "sample_weight": None if item["sample_weight"] is None else flat(item["sample_weight"]),
                    }
                    for item in metric_batches
                ],
                "results": results,
                "reset_batch": None,
                "reset_result": None,
            }
        )
    mean = keras.metrics.Mean()
    mean.update_state([1.0, 2.0], sample_weight=[0.0, 0.0])
    assert float(mean.result()) == 0.0

    # Accuracy family.
    cases.append(run_case("accuracy exact", "Accuracy", {}, [batch([[1], [2], [3]], [[1], [0], [3]]), batch([1, 2], [[1], [2]], [0.5, 1])]))
    cases.append(run_case("binary accuracy", "BinaryAccuracy", {}, binary_batches(), zero_weights))
    cases.append(run_case("binary accuracy threshold", "BinaryAccuracy", {"threshold": 0.7}, binary_batches(columns=2)))
    cases.append(run_case("categorical accuracy", "CategoricalAccuracy", {}, categorical_batches()))
    cases.append(run_case("sparse categorical accuracy", "SparseCategoricalAccuracy", {}, categorical_batches(sparse=True)))
    cases.append(run_case("top k", "TopKCategoricalAccuracy", {"k": 2}, categorical_batches(cols=5)))
    cases.append(run_case("sparse top k", "SparseTopKCategoricalAccuracy", {"k": 3}, categorical_batches(cols=6, sparse=True)))
    cases.append(
        run_case(
            "top k ties",
            "TopKCategoricalAccuracy",
            {"k": 1},
            [batch([[0, 1, 0], [1, 0, 0]], [[0.5, 0.5, 0.0], [0.2, 0.4, 0.4]])],
        )
    )
    cases.append(
        run_case(
            "sparse top k sorted ids",
            "SparseTopKCategoricalAccuracy",
            {"k": 2, "from_sorted_ids": True},
            [batch([2, 0, 1], [[2, 1, 0], [1, 2, 0], [0, 2, 1]], None, "int32")],
        )
    )

    # Confusion counts, precision and recall.
    for class_name in ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]:
        cases.append(run_case(f"{class_name} default", class_name, {}, binary_batches(), zero_weights))
        cases.append(run_case(f"{class_name} thresholds", class_name, {"thresholds": [0.15, 0.5, 0.85]}, binary_batches(columns=2)))
    for class_name in ["Precision", "Recall"]:
        cases.append(run_case(f"{class_name} default", class_name, {}, binary_batches(), zero_weights))
        cases.append(run_case(f"{class_name} thresholds", class_name, {"thresholds": [0.0, 0.3, 0.6, 1.0]}, binary_batches(columns=3)))
        cases.append(run_case(f"{class_name} even thresholds", class_name, {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, binary_batches()))
        cases.append(run_case(f"{class_name} top k", class_name, {"top_k": 2}, categorical_batches(cols=5)))
        cases.append(run_case(f"{class_name} class id", class_name, {"class_id": 2}, categorical_batches(cols=4)))
        cases.append(
            run_case(f"{class_name} top k class id", class_name, {"top_k": 1, "class_id": 1, "thresholds": 0.3}, categorical_batches(cols=3))
        )
        cases.append(run_case(f"{class_name} no positives", class_name, {}, [batch([[0], [0]], [[0.1], [0.2]])]))

    # Rate-at-rate metrics.
    rate_metrics = {
        "PrecisionAtRecall": "recall",
        "RecallAtPrecision": "precision",
        "SensitivityAtSpecificity": "specificity",
        "SpecificityAtSensitivity": "sensitivity",
    }
    for class_name, option in rate_metrics.items():
        cases.append(run_case(f"{class_name} default", class_name, {option: 0.6}, binary_batches(), zero_weights))
        cases.append(run_case(f"{class_name} few thresholds", class_name, {option: 0.4, "num_thresholds": 7}, binary_batches(columns=2)))
        cases.append(run_case(f"{class_name} one threshold", class_name, {option: 0.5, "num_thresholds": 1}, binary_batches()))
        cases.append(run_case(f"{class_name} class id", class_name, {option: 0.5, "class_id": 1}, categorical_batches(cols=3)))

    # AUC.
    cases.append(run_case("auc roc", "AUC", {}, binary_batches(), zero_weights))
    cases.append(run_case("auc pr", "AUC", {"curve": "PR"}, binary_batches()))
    cases.append(run_case("auc pr majoring", "AUC", {"curve": "PR", "summation_method": "majoring", "num_thresholds": 50}, binary_batches()))
    cases.append(run_case("auc roc minoring", "AUC", {"summation_method": "minoring", "num_thresholds": 11}, binary_batches()))
    cases.append(run_case("auc prgain", "AUC", {"curve": "PRGAIN", "num_thresholds": 30}, binary_batches()))
    cases.append(run_case("auc thresholds", "AUC", {"thresholds": [0.7, 0.2, 0.5]}, binary_batches()))
    cases.append(run_case("auc logits", "AUC", {"from_logits": True}, [batch([[1], [0], [1], [0]], [[2.0], [-1.0], [-0.5], [0.3]])]))
    cases.append(run_case("auc multi label", "AUC", {"multi_label": True}, binary_batches(columns=3)))
    cases.append(run_case("auc multi label pr", "AUC", {"multi_label": True, "curve": "PR", "num_labels": 3}, binary_batches(columns=3)))
    cases.append(
        run_case(
            "auc multi label weights",
            "AUC",
            {"multi_label": True, "label_weights": [0.2, 0.5, 0.3], "num_thresholds": 20},
            binary_batches(columns=3),
        )
    )
    cases.append(run_case("auc label weights", "AUC", {"label_weights": [1.0, 0.25], "num_thresholds": 40}, binary_batches(columns=2)))
    cases.append(run_case("auc no positives", "AUC", {}, [batch([[0], [0], [0]], [[0.1], [0.7], [0.3]])]))

    # F scores.
    fscore_batches = categorical_batches(cols=3)
    multi_label = binary_batches(columns=3, empty=False)
    for average in [None, "micro", "macro", "weighted"]:
        cases.append(run_case(f"f1 {average}", "F1Score", {"average": average}, fscore_batches))
        cases.append(run_case(f"f1 {average} threshold", "F1Score", {"average": average, "threshold": 0.4}, multi_label))
        cases.append(run_case(f"fbeta {average}", "FBetaScore", {"average": average, "beta": 2.0}, fscore_batches))
    cases.append(run_case("fbeta threshold", "FBetaScore", {"average": "macro", "beta": 0.5, "threshold": 0.5}, multi_label))

    # Regression.
    for class_name in [
        "MeanSquaredError",
        "RootMeanSquaredError",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "MeanSquaredLogarithmicError",
        "CosineSimilarity",
        "LogCoshError",
    ]:
        cases.append(run_case(class_name, class_name, {}, regression_batches(positive=class_name == "MeanSquaredLogarithmicError")))
    cases.append(run_case("mse zero weights", "MeanSquaredError", {}, [batch([[1.0], [2.0]], [[0.0], [0.0]], [0, 0])]))
    cases.append(run_case("mse rank 1", "MeanSquaredError", {}, [batch([1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]])]))
    for aggregation in ["uniform_average", "variance_weighted_average", None]:
        cases.append(run_case(f"r2 {aggregation}", "R2Score", {"class_aggregation": aggregation}, regression_batches()))
    cases.append(run_case("r2 adjusted", "R2Score", {"num_regressors": 2}, regression_batches(cols=1)))

    # IoU family.
    segmentation = []
    for index, rows in enumerate([8, 6]):
        labels = RNG.integers(0, 3, size=(rows,))
        preds = RNG.integers(0, 3, size=(rows,))
        weights = RNG.integers(0, 3, size=(rows,)) if index == 1 else None
        segmentation.append(batch(labels, preds, weights))
    cases.append(run_case("iou", "IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, segmentation))
    cases.append(run_case("mean iou", "MeanIoU", {"num_classes": 3}, segmentation))
    cases.append(run_case("mean iou ignore", "MeanIoU", {"num_classes": 3, "ignore_class": 1}, segmentation))
    cases.append(run_case("mean iou unseen class", "MeanIoU", {"num_classes": 4}, segmentation))
    cases.append(run_case("iou dense predictions", "IoU", {"num_classes": 4, "target_class_ids": [1, 3], "sparse_y_pred": False}, categorical_batches(cols=4, sparse=True, weighted=False)))
    cases.append(run_case("binary iou", "BinaryIoU", {}, binary_batches(weighted=False)))
    cases.append(run_case("binary iou threshold", "BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, binary_batches(columns=2, weighted=False)))
    cases.append(run_case("one hot iou", "OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 1]}, categorical_batches(cols=3, weighted=False)))
    cases.append(run_case("one hot mean iou", "OneHotMeanIoU", {"num_classes": 4}, categorical_batches(cols=4, weighted=False)))

    # Probabilistic and hinge.
    cases.append(run_case("kl divergence", "KLDivergence", {}, categorical_batches()))
    cases.append(run_case("poisson", "Poisson", {}, regression_batches(positive=True)))
    cases.append(run_case("binary crossentropy", "BinaryCrossentropy", {}, binary_batches(columns=2), zero_weights))
    cases.append(run_case("binary crossentropy logits", "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, regression_batches(cols=2)))
    cases.append(run_case("categorical crossentropy", "CategoricalCrossentropy", {}, categorical_batches()))
    cases.append(run_case("categorical crossentropy logits", "CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, categorical_batches()))
    cases.append(run_case("sparse categorical crossentropy", "SparseCategoricalCrossentropy", {}, categorical_batches(sparse=True)))
    cases.append(run_case("sparse categorical crossentropy ignore", "SparseCategoricalCrossentropy", {"ignore_class": 1}, categorical_batches(sparse=True)))
    cases.append(run_case("hinge", "Hinge", {}, binary_batches(columns=2)))
    cases.append(run_case("hinge signed labels", "Hinge", {}, [batch([[-1, 1], [1, -1]], [[0.3, 0.8], [-0.2, 0.1]])]))
    cases.append(run_case("squared hinge", "SquaredHinge", {}, binary_batches(columns=2)))
    cases.append(run_case("categorical hinge", "CategoricalHinge", {}, categorical_batches()))
    return cases


def main():
    cases = build_cases()
    write_json("metrics.json", {"cases": cases})


if __name__ == "__main__":
    main()
