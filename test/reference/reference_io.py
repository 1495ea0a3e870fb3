"""Shared helpers for the Keras reference scripts in this folder.

Each script imports this module to turn arrays into plain JSON lists and to
write its output under test/fixtures/reference/.
"""

import json
import os

import keras
import numpy as np

FIXTURE_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "reference"
)


def to_list(value):
    """Convert an array, tensor or scalar into nested lists of Python numbers.

    Integer arrays stay integers. Float arrays become Python floats, which
    hold every float32 value exactly, so no precision is lost.
    """
    array = np.asarray(value)
    if array.ndim == 0:
        if np.issubdtype(array.dtype, np.integer):
            return int(array)
        return float(array)
    return [to_list(item) for item in array]


def write_json(filename, payload):
    """Write payload, plus the Keras version, to FIXTURE_DIR/filename."""
    payload = {"keras_version": keras.__version__, **payload}
    path = os.path.normpath(os.path.join(FIXTURE_DIR, filename))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(payload, handle, indent=1)
        handle.write("\n")
    print(f"wrote {path}")
