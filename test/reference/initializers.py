"""Record Keras initializer configs and the statistics of their samples.

Stratum matches Keras's distributions, not its random streams, so each
case stores the config and the mean, standard deviation and largest
magnitude of one large seeded sample, for the tests to compare with.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/initializers.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

I = keras.initializers

CASES = [
    ("GlorotNormal", {}, (200, 300)),
    ("HeNormal", {}, (3, 3, 16, 64)),
    ("HeUniform", {}, (400, 100)),
    ("LecunNormal", {}, (250, 40)),
    ("LecunUniform", {}, (250, 40)),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"}, (100, 400)),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"}, (5, 120, 80)),
    ("VarianceScaling", {"mode": "fan_in", "distribution": "normal"}, (300, 200)),
    ("RandomNormal", {"mean": 0.5, "stddev": 0.2}, (300, 200)),
    ("TruncatedNormal", {"mean": -1.0, "stddev": 0.3}, (300, 200)),
    ("TruncatedNormal", {}, (300, 200)),
]


def main():
    cases = []
    for class_name, kwargs, shape in CASES:
        initializer = getattr(I, class_name)(seed=7, **kwargs)
        values = np.asarray(initializer(shape, dtype="float64"))
        cases.append(
            {
                "class_name": class_name,
                "kwargs": kwargs,
                "shape": list(shape),
                "config": initializer.get_config(),
                "mean": float(values.mean()),
                "std": float(values.std()),
                "max_abs_deviation": float(np.abs(values - values.mean()).max()),
            }
        )
    exact = [
        {"class_name": "Constant", "kwargs": {"value": 0.25}, "shape": [2, 3], "config": I.Constant(0.25).get_config(),
         "values": to_list(I.Constant(0.25)((2, 3)))},
        {"class_name": "Identity", "kwargs": {"gain": 2.0}, "shape": [2, 3], "config": I.Identity(2.0).get_config(),
         "values": to_list(I.Identity(2.0)((2, 3)))},
    ]
    from keras.src.initializers import ALL_OBJECTS_DICT

    names = {name: ALL_OBJECTS_DICT[name].__name__ for name in [
        "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "variance_scaling",
        "random_normal", "normal", "truncated_normal", "constant", "identity", "IdentityInitializer",
        "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform", "VarianceScaling",
        "RandomNormal", "TruncatedNormal", "Constant", "Identity",
    ]}
    write_json("initializers.json", {"cases": cases, "exact": exact, "names": names})


if __name__ == "__main__":
    main()
