"""The K.* cases that tools/golden_keras2_functions.py evaluates with tf_keras 2.21 and tests/test_backend_keras2.py
with kerastorch: each an expression over ``K`` and the inputs below (NumPy arrays from a fixed seed)."""
import numpy as np

_rng = np.random.RandomState(2)
INPUTS = {
    "x": _rng.normal(size=(3, 4)).astype("float32"),
    "y": _rng.normal(size=(3, 4)).astype("float32"),
    "p": _rng.uniform(0.05, 0.95, size=(3, 4)).astype("float32"),
    "t": (_rng.uniform(size=(3, 4)) > 0.5).astype("float32"),
    "w": _rng.normal(size=(4, 5)).astype("float32"),
    "b3": _rng.normal(size=(2, 3, 4)).astype("float32"),
    "c3": _rng.normal(size=(2, 4, 5)).astype("float32"),
    "labels": np.array([1, 0, 3], "int32"),
    "onehot": np.eye(4, dtype="float32")[[1, 0, 3]],
}

CASES = [
    "K.mean(x)", "K.mean(x, axis=1)", "K.mean(x, axis=0, keepdims=True)", "K.sum(x, axis=-1)", "K.max(x, axis=0)",
    "K.min(x)", "K.prod(p, axis=1)", "K.std(x, axis=1)", "K.var(x)", "K.square(x)", "K.sqrt(x)", "K.sqrt(p)",
    "K.abs(x)", "K.exp(x)", "K.log(p)", "K.pow(p, 3)", "K.clip(x, -0.5, 0.5)", "K.clip(x, 0.5, -0.5)",
    "K.cast(x, 'int32')", "K.dot(x, w)", "K.dot(b3, w)", "K.batch_dot(b3, c3)", "K.batch_dot(x, y, axes=1)",
    "K.batch_dot(b3, b3, axes=[2, 2])", "K.transpose(x)", "K.reshape(x, (2, 6))", "K.flatten(b3)",
    "K.batch_flatten(b3)", "K.expand_dims(x)", "K.squeeze(K.expand_dims(x, 1), 1)",
    "K.concatenate([x, y])", "K.concatenate([x, y], axis=0)", "K.stack([x, y])", "K.gather(x, labels[:2])",
    "K.one_hot(labels, 5)", "K.softmax(x)", "K.softmax(x, axis=0)", "K.relu(x)", "K.relu(x, alpha=0.1)",
    "K.relu(x, max_value=0.5)", "K.relu(x, alpha=0.2, max_value=1.0, threshold=0.3)", "K.sigmoid(x)",
    "K.hard_sigmoid(x)", "K.tanh(x)", "K.elu(x, 0.5)", "K.softplus(x)", "K.softsign(x)",
    "K.categorical_crossentropy(onehot, K.softmax(x))", "K.categorical_crossentropy(onehot, x, from_logits=True)",
    "K.sparse_categorical_crossentropy(labels, K.softmax(x))",
    "K.sparse_categorical_crossentropy(labels, x, from_logits=True)", "K.binary_crossentropy(t, p)",
    "K.binary_crossentropy(t, x, from_logits=True)", "K.l2_normalize(x, axis=1)", "K.l2_normalize(x)",
    "K.int_shape(K.constant(b3))", "K.ndim(K.constant(b3))", "K.dtype(K.constant(x))", "K.dtype(K.variable(labels))",
    "K.get_value(K.zeros((2, 3)))", "K.get_value(K.ones((2,), dtype='int32'))", "K.get_value(K.eye(3))",
    "K.zeros_like(x)", "K.ones_like(labels)", "K.epsilon()", "K.floatx()", "K.image_data_format()",
    "K.switch(K.greater(x, 0), x, -x)", "K.argmax(x)", "K.maximum(x, y)", "K.equal(labels, 1)",
    "K.cumsum(x, axis=1)", "K.permute_dimensions(b3, (2, 0, 1))", "K.tile(x, (1, 2))",
    "K.repeat_elements(x, 2, axis=1)", "K.sign(x)", "K.round(x)", "K.any(K.greater(x, 1.5), axis=1)",
    "K.all(K.greater(x, -3), axis=0)", "K.in_train_phase(x, y, training=1)", "K.in_train_phase(x, y, training=0)",
]


def evaluate(K, expression, to_tensor, to_numpy):
    """``(value as a list, dtype name)`` of the expression on the inputs made tensors by ``to_tensor``, or
    ``("<error Name>", None)``."""
    try:
        value = eval(expression, {"K": K, **{name: to_tensor(array) for name, array in INPUTS.items()}})
    except Exception as error:  # noqa: BLE001 - the kind of failure is what is recorded
        return f"<error {type(error).__name__}>", None
    if isinstance(value, (str, float, int, tuple)) and not hasattr(value, "dtype"):
        return value, None
    array = to_numpy(value)
    return array.tolist(), str(array.dtype)
