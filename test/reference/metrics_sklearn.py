"""Compute metric values with scikit-learn, independently of Keras.

Each case splits one data set into batches (the metric accumulates over
them) and records the value scikit-learn gives for the whole data set.
Only cases where Keras's definition equals scikit-learn's are included.
These are precision, recall and F1 at a 0.5 threshold, R2, the mean
errors, IoU (Jaccard), confusion counts and top-k accuracy without ties.
ROC AUC is included too, with predictions placed between AUC's
thresholds so that the thresholded curve is exact.

Needs NumPy and scikit-learn (1.9.1 was used); Keras is not imported.
Regenerate with:
    python3 -m venv /tmp/metrics-sk && /tmp/metrics-sk/bin/pip install scikit-learn
    /tmp/metrics-sk/bin/python test/reference/metrics_sklearn.py
"""

import json
import os

import numpy as np
import sklearn
from sklearn import metrics as skm

RNG = np.random.default_rng(7)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "reference", "metrics_sklearn.json")


def flat(array):
    array = np.asarray(array, dtype=np.float64)
    return {"values": array.reshape(-1).tolist(), "shape": list(array.shape)}


def split(y_true, y_pred, weights, sizes):
    """Split the data set into consecutive batches of the given sizes."""
    batches, start = [], 0
    for size in sizes:
        stop = start + size
        batches.append(
            {
                "y_true": flat(y_true[start:stop]),
                "y_pred": flat(y_pred[start:stop]),
                "sample_weight": None if weights is None else flat(weights[start:stop]),
            }
        )
        start = stop
    return batches


def f32(array):
    """Round to float32, the precision the test feeds the metric."""
    return np.asarray(array, dtype=np.float32).astype(np.float64)


def case(case_id, class_name, options, y_true, y_pred, weights, expected, sizes=(7, 0, 9, 8)):
    return {
        "id": case_id,
        "class_name": class_name,
        "options": options,
        "batches": split(y_true, y_pred, weights, sizes),
        "expected": np.asarray(expected, dtype=np.float64).tolist(),
    }


def build_cases():
    cases = []
    n = 24
    weights = f32(np.round(RNG.uniform(0, 2, size=n), 2))

    # Binary labels with probabilities; a 0.5 threshold with Keras's strict ">" matches these 0/1 decisions.
    labels = RNG.integers(0, 2, size=(n, 1)).astype(np.float64)
    probs = f32(RNG.uniform(size=(n, 1)))
    decided = (probs > 0.5).astype(int).ravel()
    truth = labels.ravel().astype(int)
    for sample_weight, suffix in [(None, ""), (weights, " weighted")]:
        cases.append(case(f"precision{suffix}", "Precision", {}, labels, probs, sample_weight, skm.precision_score(truth, decided, sample_weight=sample_weight)))
        cases.append(case(f"recall{suffix}", "Recall", {}, labels, probs, sample_weight, skm.recall_score(truth, decided, sample_weight=sample_weight)))
        cases.append(case(f"binary accuracy{suffix}", "BinaryAccuracy", {}, labels, probs, sample_weight, skm.accuracy_score(truth, decided, sample_weight=sample_weight)))
        matrix = skm.confusion_matrix(truth, decided, sample_weight=sample_weight, labels=[0, 1])
        for class_name, value in [
            ("TrueNegatives", matrix[0, 0]),
            ("FalsePositives", matrix[0, 1]),
            ("FalseNegatives", matrix[1, 0]),
            ("TruePositives", matrix[1, 1]),
        ]:
            cases.append(case(f"{class_name}{suffix}", class_name, {}, labels, probs, sample_weight, value))

    # ROC AUC: distinct predictions at bucket centres (j + 0.5) / 199 of AUC's 200 thresholds.
    buckets = RNG.choice(199, size=n, replace=False)
    centred = f32((buckets + 0.5) / 199).reshape(n, 1)
    for sample_weight, suffix in [(None, ""), (weights, " weighted")]:
        cases.append(case(f"roc auc{suffix}", "AUC", {}, labels, centred, sample_weight, skm.roc_auc_score(truth, centred.ravel(), sample_weight=sample_weight)))

    # Multi-label indicators for F1: a 0.5 threshold makes Keras's F1Score match scikit-learn's.
    multi = RNG.integers(0, 2, size=(n, 3)).astype(np.float64)
    multi_probs = f32(RNG.uniform(size=(n, 3)))
    multi_decided = (multi_probs > 0.5).astype(int)
    for average in [None, "micro", "macro", "weighted"]:
        value = skm.f1_score(multi.astype(int), multi_decided, average=average, zero_division=0)
        cases.append(case(f"f1 {average}", "F1Score", {"average": average, "threshold": 0.5}, multi, multi_probs, None, value))
        value = skm.fbeta_score(multi.astype(int), multi_decided, beta=2.0, average=average, sample_weight=weights, zero_division=0)
        cases.append(case(f"fbeta {average} weighted", "FBetaScore", {"average": average, "beta": 2.0, "threshold": 0.5}, multi, multi_probs, weights, value))

    # Top-k accuracy with distinct scores, so ties cannot differ between the two definitions.
    classes = RNG.integers(0, 5, size=n)
    scores = f32(RNG.permuted(np.tile(np.arange(5) / 5 + 0.05, (n, 1)), axis=1))
    value = skm.top_k_accuracy_score(classes, scores, k=2, labels=list(range(5)), sample_weight=weights)
    cases.append(case("sparse top k weighted", "SparseTopKCategoricalAccuracy", {"k": 2}, classes.astype(np.float64), scores, weights, value))
    cases.append(case("top k weighted", "TopKCategoricalAccuracy", {"k": 2}, np.eye(5)[classes], scores, weights, value))

    # Regression.
    y = f32(RNG.normal(size=(n, 2)))
    y_hat = f32(y + RNG.normal(scale=0.6, size=(n, 2)))
    for sample_weight, suffix in [(None, ""), (weights, " weighted")]:
        cases.append(case(f"mse{suffix}", "MeanSquaredError", {}, y, y_hat, sample_weight, skm.mean_squared_error(y, y_hat, sample_weight=sample_weight)))
        cases.append(case(f"mae{suffix}", "MeanAbsoluteError", {}, y, y_hat, sample_weight, skm.mean_absolute_error(y, y_hat, sample_weight=sample_weight)))
        cases.append(case(f"mape{suffix}", "MeanAbsolutePercentageError", {}, y, y_hat, sample_weight, 100 * skm.mean_absolute_percentage_error(y, y_hat, sample_weight=sample_weight)))
        cases.append(case(f"rmse{suffix}", "RootMeanSquaredError", {}, y, y_hat, sample_weight, np.sqrt(skm.mean_squared_error(y, y_hat, sample_weight=sample_weight))))
        for aggregation, multioutput in [("uniform_average", "uniform_average"), ("variance_weighted_average", "variance_weighted"), (None, "raw_values")]:
            value = skm.r2_score(y, y_hat, sample_weight=sample_weight, multioutput=multioutput)
            cases.append(case(f"r2 {aggregation}{suffix}", "R2Score", {"classAggregation": aggregation}, y, y_hat, sample_weight, value))

    # IoU is the Jaccard index per class.
    segment_true = RNG.integers(0, 3, size=n).astype(np.float64)
    segment_pred = RNG.integers(0, 3, size=n).astype(np.float64)
    per_class = skm.jaccard_score(segment_true, segment_pred, average=None, labels=[0, 1, 2])
    cases.append(case("mean iou", "MeanIoU", {"numClasses": 3}, segment_true, segment_pred, None, per_class.mean()))
    cases.append(case("iou classes 0 and 2", "IoU", {"numClasses": 3, "targetClassIds": [0, 2]}, segment_true, segment_pred, None, per_class[[0, 2]].mean()))
    return cases


def main():
    payload = {"sklearn_version": sklearn.__version__, "cases": build_cases()}
    with open(os.path.normpath(OUT), "w") as handle:
        json.dump(payload, handle, indent=1)
        handle.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
