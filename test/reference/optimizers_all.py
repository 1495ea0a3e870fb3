"""Record Keras trajectories for every optimizer, common option and schedule.

Each case starts from the same three float32 variables: a matrix, a vector
and a rank-3 tensor, so that Adafactor also factors over a leading axis.
It applies the same seeded gradients with optimizer.apply_gradients. The
script records the variables after every step, optimizer.variables
afterwards (in their order, with names and values) and
optimizer.get_config(). For use_ema it also records the variables after
finalize_variable_values.

The file also records every schedule's value at steps 0..SCHEDULE_STEPS-1,
and the two-step values of one scalar weight w0 = 1 under the constant
gradient 0.5.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/optimizers_all.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 4321
STEPS = 8
SCHEDULE_STEPS = 40
SHAPES = {"w": (2, 3), "b": (3,), "k": (2, 2, 3)}


def schedule(class_name, **config):
    """A schedule as it appears in a case's kwargs: a serialized class name and config."""
    return {"class_name": class_name, "config": config}


SCHEDULES = [
    ("exponential", schedule("ExponentialDecay", initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5)),
    (
        "exponential staircase",
        schedule("ExponentialDecay", initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5, staircase=True),
    ),
    ("piecewise", schedule("PiecewiseConstantDecay", boundaries=[2, 5], values=[0.1, 0.05, 0.01])),
    ("polynomial", schedule("PolynomialDecay", initial_learning_rate=0.1, decay_steps=5)),
    (
        "polynomial cycle power 2",
        schedule(
            "PolynomialDecay",
            initial_learning_rate=0.1,
            decay_steps=3,
            end_learning_rate=0.01,
            power=2.0,
            cycle=True,
        ),
    ),
    ("inverse time", schedule("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)),
    (
        "inverse time staircase",
        schedule("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    ),
    ("cosine", schedule("CosineDecay", initial_learning_rate=0.1, decay_steps=6, alpha=0.1)),
    (
        "cosine warmup",
        schedule("CosineDecay", initial_learning_rate=0.0, decay_steps=5, warmup_target=0.1, warmup_steps=3),
    ),
    ("cosine restarts", schedule("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=2)),
    (
        "cosine restarts custom",
        schedule(
            "CosineDecayRestarts",
            initial_learning_rate=0.1,
            first_decay_steps=3,
            t_mul=1.0,
            m_mul=0.5,
            alpha=0.2,
        ),
    ),
]

# Each entry is a label, the optimizer class name and its keyword arguments.
CONFIGURATIONS = [
    ("adam amsgrad", "Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("adamw defaults", "AdamW", {}),
    ("adamw custom", "AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("rmsprop defaults", "RMSprop", {}),
    ("rmsprop momentum", "RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("rmsprop centered", "RMSprop", {"learning_rate": 0.01, "centered": True, "rho": 0.8}),
    (
        "rmsprop centered momentum",
        "RMSprop",
        {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "epsilon": 1e-4},
    ),
    ("adagrad defaults", "Adagrad", {}),
    ("adagrad custom", "Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-5}),
    ("adadelta defaults", "Adadelta", {}),
    ("adadelta custom", "Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}),
    ("adamax defaults", "Adamax", {}),
    ("adamax custom", "Adamax", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99}),
    ("nadam defaults", "Nadam", {}),
    ("nadam custom", "Nadam", {"learning_rate": 0.01, "beta_2": 0.99, "epsilon": 1e-5}),
    ("lion defaults", "Lion", {}),
    ("lion custom", "Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}),
    ("lamb defaults", "Lamb", {}),
    ("lamb custom", "Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "epsilon": 1e-5}),
    ("ftrl defaults", "Ftrl", {}),
    (
        "ftrl regularized",
        "Ftrl",
        {
            "learning_rate": 0.1,
            "learning_rate_power": -0.7,
            "initial_accumulator_value": 0.2,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.02,
            "l2_shrinkage_regularization_strength": 0.03,
            "beta": 0.5,
        },
    ),
    ("adafactor defaults", "Adafactor", {}),
    (
        "adafactor custom",
        "Adafactor",
        {"learning_rate": 0.01, "beta_2_decay": -0.5, "clip_threshold": 0.5, "relative_step": False},
    ),
    # Common options.
    ("sgd weight decay", "SGD", {"learning_rate": 0.1, "weight_decay": 0.05}),
    ("adam clipnorm", "Adam", {"learning_rate": 0.01, "clipnorm": 1.0}),
    ("sgd clipvalue", "SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("adam global clipnorm", "Adam", {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    ("sgd ema", "SGD", {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.9}),
    ("adam ema overwrite", "Adam", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 3}),
    ("sgd accumulation", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "gradient_accumulation_steps": 3}),
    ("adam accumulation ema", "Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2, "use_ema": True}),
    ("nadam accumulation", "Nadam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    ("rmsprop loss scale", "RMSprop", {"learning_rate": 0.01, "loss_scale_factor": 4.0}),
    (
        "adamw clipnorm ema",
        "AdamW",
        {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 0.5, "use_ema": True, "ema_momentum": 0.5},
    ),
]
CONFIGURATIONS += [(f"sgd {label}", "SGD", {"learning_rate": spec}) for label, spec in SCHEDULES]
CONFIGURATIONS += [
    (
        "adam schedule accumulation",
        "Adam",
        {"learning_rate": SCHEDULES[0][1], "gradient_accumulation_steps": 2},
    ),
    ("adamw schedule", "AdamW", {"learning_rate": SCHEDULES[7][1], "weight_decay": 0.5}),
]

# Two steps of one scalar weight from 1.0 under the constant gradient 0.5.
TWO_STEP = [
    ("AdamW", {"learning_rate": 0.001}),
    ("RMSprop", {"learning_rate": 0.001}),
    ("Adagrad", {"learning_rate": 0.001}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Lion", {}),
    ("Lamb", {}),
    ("Ftrl", {}),
    ("Adafactor", {}),
]


def make_schedule(spec):
    return getattr(keras.optimizers.schedules, spec["class_name"])(**spec["config"])


def make_optimizer(class_name, kwargs):
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("learning_rate"), dict):
        kwargs["learning_rate"] = make_schedule(kwargs["learning_rate"])
    return getattr(keras.optimizers, class_name)(**kwargs)


def run_configuration(label, class_name, kwargs, initial, gradients):
    # Reset the global name counters so that every optimizer gets its default name.
    keras.utils.clear_session()
    optimizer = make_optimizer(class_name, kwargs)
    variables = [keras.Variable(initial[name], name=name) for name in SHAPES]
    after_step = []
    learning_rates = []
    for step_gradients in gradients:
        learning_rates.append(float(optimizer.learning_rate))
        optimizer.apply_gradients(list(zip([step_gradients[n] for n in SHAPES], variables)))
        after_step.append({v.name: to_list(v.value) for v in variables})
    state = [
        {"name": v.name, "dtype": str(v.dtype), "value": to_list(v.value)}
        for v in optimizer.variables
    ]
    result = {
        "name": label,
        "optimizer": class_name,
        "kwargs": kwargs,
        "config": optimizer.get_config(),
        "learning_rates": learning_rates,
        "after_step": after_step,
        "variables": state,
    }
    if kwargs.get("use_ema"):
        optimizer.finalize_variable_values(variables)
        result["finalized"] = {v.name: to_list(v.value) for v in variables}
    return result


def run_two_step(class_name, kwargs):
    keras.utils.clear_session()
    optimizer = make_optimizer(class_name, kwargs)
    weight = keras.Variable(np.ones((1,), dtype="float32"), name="w")
    values = []
    for _ in range(2):
        optimizer.apply_gradients([(np.full((1,), 0.5, dtype="float32"), weight)])
        values.append(float(weight.value[0]))
    return {"optimizer": class_name, "kwargs": kwargs, "values": values}


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    initial = {name: rng.normal(size=shape).astype("float32") for name, shape in SHAPES.items()}
    gradients = [
        {name: rng.normal(size=shape).astype("float32") for name, shape in SHAPES.items()}
        for _ in range(STEPS)
    ]
    schedules = []
    for label, spec in SCHEDULES:
        keras.utils.clear_session()
        instance = make_schedule(spec)
        schedules.append(
            {
                "name": label,
                "class_name": spec["class_name"],
                "config": spec["config"],
                "serialized": keras.saving.serialize_keras_object(instance),
                "values": [float(instance(step)) for step in range(SCHEDULE_STEPS)],
            }
        )
    write_json(
        "optimizers_all.json",
        {
            "seed": SEED,
            "initial": {name: to_list(value) for name, value in initial.items()},
            "gradients": [{name: to_list(g[name]) for name in SHAPES} for g in gradients],
            "cases": [
                run_configuration(label, class_name, kwargs, initial, gradients)
                for label, class_name, kwargs in CONFIGURATIONS
            ],
            "schedules": schedules,
            "two_step": [run_two_step(class_name, kwargs) for class_name, kwargs in TWO_STEP],
        },
    )


if __name__ == "__main__":
    main()
