"""What tools/golden_vgg.py (under Keras) and the tests (under kerastorch) share: the seeded weights of the VGG
parity fixtures, so that both sides make the very same arrays, and a writer of Keras 2's HDF5 weights layout. It
uses only numpy, h5py and the weights' ``numpy()``, which both libraries' variables have."""
import h5py
import numpy as np


def seeded_weights(model, seed):
    """Arrays for ``model.weights`` (in order) from ``np.random.RandomState(seed)``, whose stream numpy keeps
    frozen: He-uniform kernels (so activations keep their scale through the ReLU stack), small uniform biases."""
    rng = np.random.RandomState(seed)
    arrays = []
    for weight in model.weights:
        shape = tuple(weight.shape)
        if len(shape) == 1:
            arrays.append(rng.uniform(-0.05, 0.05, shape).astype("float32"))
        else:
            limit = np.sqrt(6.0 / np.prod(shape[:-1]))
            arrays.append(rng.uniform(-limit, limit, shape).astype("float32"))
    return arrays


def write_keras2_weights(model, path, weight_names="keras2"):
    """``model``'s weights in Keras 2's ``save_weights`` HDF5 layout, which Keras's published VGG files use: the
    root attribute ``layer_names`` lists every layer; each layer's group lists its datasets in ``weight_names``,
    kernel then bias.

    Args:
        weight_names: ``"keras2"`` names them ``<layer>/kernel:0`` (datasets nested one group deeper), as Keras 2
            did; ``"keras1"`` names them ``<layer>_W_1:0`` and ``<layer>_b_1:0``.
    """
    with h5py.File(path, "w") as file:
        file.attrs["backend"] = "tensorflow"
        file.attrs["keras_version"] = "2.15.0" if weight_names == "keras2" else "1.2.2"
        file.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            group = file.create_group(layer.name)
            values = [weight.numpy() for weight in layer.weights]
            if weight_names == "keras2":
                names = [f"{layer.name}/{'kernel' if v.ndim > 1 else 'bias'}:0" for v in values]
            else:
                names = [f"{layer.name}_{'W' if v.ndim > 1 else 'b'}_1:0" for v in values]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, value in zip(names, values):
                group.create_dataset(name, data=value)
