"""Compute Keras outputs of Embedding, SimpleRNN, LSTM, GRU and Bidirectional.

Each case builds one layer (or an Embedding followed by a recurrent layer),
sets its weights to seeded uniform values in [-0.5, 0.5), and records the
serialized layers, the weights, the inputs, the mask and every output. The
mask comes from Embedding(mask_zero=True) or is given explicitly, and is
passed to the recurrent layer's call.

Regenerate with:
    KERAS_BACKEND=jax /tmp/ref/bin/python test/reference/recurrent.py
"""

import keras
import numpy as np

from reference_io import to_list, write_json

SEED = 2024
BATCH, STEPS, FEATURES = 2, 4, 3
MASK = np.array([[1, 1, 0, 1], [1, 0, 0, 0]], dtype="bool")


def randomize(layer, rng):
    weights = [rng.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def serialize(layer):
    item = keras.saving.serialize_keras_object(layer)
    return {"class_name": item["class_name"], "config": item["config"]}


def outputs_list(result):
    if isinstance(result, (list, tuple)):
        return [to_list(r) for r in result]
    return [to_list(result)]


def layer_case(name, layer, rng, masked=False, initial_states=0):
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    layer.build((None, STEPS, FEATURES))
    weights = randomize(layer, rng)
    kwargs = {}
    case = {"name": name, "input": to_list(x)}
    if masked:
        kwargs["mask"] = MASK
        case["mask"] = to_list(MASK.astype("float32"))
    if initial_states:
        units = layer.units if hasattr(layer, "units") else layer.forward_layer.units
        states = [rng.normal(size=(BATCH, units)).astype("float32") for _ in range(initial_states)]
        kwargs["initial_state"] = states
        case["initial_states"] = [to_list(s) for s in states]
    result = layer(x, **kwargs)
    case["layers"] = [{**serialize(layer), "weights": [to_list(w) for w in weights]}]
    case["outputs"] = outputs_list(result)
    return case


def embedding_case(name, rnn, rng):
    indices = np.array([[3, 1, 0, 2], [4, 0, 0, 0]], dtype="int32")
    embedding = keras.layers.Embedding(5, FEATURES, mask_zero=True, name="embedding")
    embedding.build((None, STEPS))
    embedding_weights = randomize(embedding, rng)
    rnn.build((None, STEPS, FEATURES))
    rnn_weights = randomize(rnn, rng)
    vectors = embedding(indices)
    mask = embedding.compute_mask(indices)
    result = rnn(vectors, mask=mask)
    return {
        "name": name,
        "input": to_list(indices),
        "input_dtype": "int32",
        "layers": [
            {**serialize(embedding), "weights": [to_list(w) for w in embedding_weights]},
            {**serialize(rnn), "weights": [to_list(w) for w in rnn_weights]},
        ],
        "embedding_output": to_list(vectors),
        "embedding_mask": to_list(np.asarray(mask).astype("float32")),
        "outputs": outputs_list(result),
    }


def main():
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    L = keras.layers
    cases = [
        layer_case("simple_rnn", L.SimpleRNN(3, name="simple_rnn"), rng),
        layer_case("simple_rnn relu sequences", L.SimpleRNN(3, activation="relu", return_sequences=True, name="simple_rnn_relu"), rng),
        layer_case("simple_rnn backwards masked", L.SimpleRNN(2, go_backwards=True, return_sequences=True, name="simple_rnn_back"), rng, masked=True),
        layer_case("lstm", L.LSTM(3, name="lstm"), rng),
        layer_case("lstm sequences and state", L.LSTM(3, return_sequences=True, return_state=True, name="lstm_seq"), rng),
        layer_case("lstm backwards", L.LSTM(2, go_backwards=True, return_sequences=True, name="lstm_back"), rng),
        layer_case("lstm masked sequences", L.LSTM(3, return_sequences=True, return_state=True, name="lstm_masked"), rng, masked=True),
        layer_case("lstm masked last output", L.LSTM(3, name="lstm_masked_last"), rng, masked=True),
        layer_case("lstm without bias", L.LSTM(2, use_bias=False, name="lstm_nobias"), rng),
        layer_case("lstm initial state", L.LSTM(2, return_state=True, name="lstm_init"), rng, initial_states=2),
        layer_case("gru", L.GRU(3, name="gru"), rng),
        layer_case("gru reset before", L.GRU(3, reset_after=False, return_sequences=True, name="gru_before"), rng),
        layer_case("gru masked backwards state", L.GRU(3, go_backwards=True, return_sequences=True, return_state=True, name="gru_masked"), rng, masked=True),
        layer_case("gru reset before masked", L.GRU(2, reset_after=False, name="gru_before_masked"), rng, masked=True),
        layer_case("gru initial state", L.GRU(2, return_sequences=True, name="gru_init"), rng, initial_states=1),
        layer_case("bidirectional lstm concat masked", L.Bidirectional(L.LSTM(3, return_sequences=True, name="lstm_bi"), name="bidirectional"), rng, masked=True),
        layer_case("bidirectional gru sum", L.Bidirectional(L.GRU(2, name="gru_bi"), merge_mode="sum", name="bidirectional_sum"), rng),
        layer_case("bidirectional simple_rnn ave", L.Bidirectional(L.SimpleRNN(2, return_sequences=True, name="rnn_bi"), merge_mode="ave", name="bidirectional_ave"), rng),
        layer_case("bidirectional lstm mul masked", L.Bidirectional(L.LSTM(2, name="lstm_mul"), merge_mode="mul", name="bidirectional_mul"), rng, masked=True),
        layer_case("bidirectional gru none state", L.Bidirectional(L.GRU(2, return_sequences=True, return_state=True, name="gru_none"), merge_mode=None, name="bidirectional_none"), rng),
        embedding_case("embedding mask_zero then lstm", L.LSTM(3, name="lstm_after_embedding"), rng),
        embedding_case("embedding mask_zero then gru sequences", L.GRU(2, return_sequences=True, name="gru_after_embedding"), rng),
    ]
    write_json("recurrent.json", {"seed": SEED, "cases": cases})


if __name__ == "__main__":
    main()
