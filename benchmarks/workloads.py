"""The workloads. Each is one definition: its model as a tuple of layer specs, its data as numpy arrays made from
one seed, and, for the small models, its initial weights. Every implementation builds exactly that model, starts
from exactly those weights and trains on exactly that data, so their losses and accuracies can be compared too.

Only numpy here: the Keras children import this module in interpreters without torch or tensorflow.
"""
import math
from dataclasses import dataclass

import numpy as np

SEED = 1337


# ---- layer specs: what a layer is, independent of any library -------------------------------------------------

@dataclass(frozen=True)
class Dense:
    units: int
    activation: str = None


@dataclass(frozen=True)
class Conv:
    """A 2D convolution on channels_last images (square kernel)."""
    filters: int
    kernel: int
    activation: str = None
    padding: str = "valid"


@dataclass(frozen=True)
class MaxPool:
    size: int = 2


@dataclass(frozen=True)
class Flatten:
    pass


@dataclass(frozen=True)
class ConvBNReLU:
    """Conv (no bias, 'same' padding) -> BatchNormalization -> ReLU: a ResNet stem."""
    filters: int
    kernel: int = 3
    strides: int = 1


@dataclass(frozen=True)
class Residual:
    """A ResNet basic block: two 3x3 ConvBNs, a 1x1 ConvBN shortcut when the shape changes, add, ReLU."""
    filters: int
    strides: int = 1


@dataclass(frozen=True)
class GlobalAvgPool:
    pass


@dataclass(frozen=True)
class Embedding:
    """Token ids -> vectors (the first layer of a sequence model)."""
    input_dim: int
    output_dim: int


@dataclass(frozen=True)
class LSTM:
    """An LSTM with Keras's default activations that returns its last output."""
    units: int


@dataclass(frozen=True)
class TokenAndPosition:
    """Token ids -> Embedding(vocab, dim) plus a learned position Embedding(steps, dim)."""
    vocab: int
    steps: int
    dim: int


@dataclass(frozen=True)
class TransformerBlock:
    """A post-norm Transformer encoder block: MultiHeadAttention (num_heads of key_dim), Dropout, Add,
    LayerNormalization(epsilon=1e-6), Dense(ff_dim, relu), Dense(dim), Dropout, Add, LayerNormalization."""
    num_heads: int
    key_dim: int
    ff_dim: int
    dropout: float = 0.1


@dataclass(frozen=True)
class GlobalAvgPool1D:
    pass


SEQUENCE_INPUTS = (Embedding, TokenAndPosition)


# ---- workloads -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    """One benchmark: a model, its data and how it is run.

    Args:
        name: the workload's name on the command line and in the table.
        description: one line for the table's notes.
        input_shape: one sample's shape, channels_last.
        classes: number of classes (the last layer's units).
        layers: the model, as a tuple of layer specs; the last is Dense(classes, "softmax").
        batch_size: the batch size of fit or predict.
        samples: number of samples at full size.
        quick_samples: number of samples under ``--quick``.
        task: "fit" (Adam, ``loss``, accuracy; seconds per epoch) or "predict" (seconds per call of predict on
            one batch).
        data: "tutorial" (the tutorial's ages and side effects), "images" (noisy class prototypes in [0, 1]) or
            "tokens" (integer sequences whose label shows in some of their words, as in a review).
        epochs: epochs of fit; the table reports the median of the epochs after the first.
        calls: timed predict calls (after one warm-up call), at full size; ``quick_calls`` under ``--quick``.
        shared_init: whether every implementation starts from the same initial weights (``initial_weights``);
            the large models use each library's own initialisation instead.
        application: the name of a Keras application that builds the same model, used where the library has it.
        mixed_precision: train with float16 compute (GPU workloads).
        gpu: part of the GPU set, chosen when CUDA is available.
        loss: the loss of fit: "sparse_categorical_crossentropy" (the last layer Dense(classes, "softmax")) or
            "binary_crossentropy" (Dense(1, "sigmoid"), float labels of shape (samples, 1)).
    """
    name: str
    description: str
    input_shape: tuple
    classes: int
    layers: tuple
    batch_size: int
    samples: int
    quick_samples: int
    task: str = "fit"
    data: str = "images"
    epochs: int = 3
    calls: int = 5
    quick_calls: int = 2
    shared_init: bool = True
    application: str = None
    mixed_precision: bool = False
    gpu: bool = False
    loss: str = "sparse_categorical_crossentropy"

    @property
    def baseline(self):
        """The implementation that the ratios divide by."""
        return "torch-loop" if self.task == "fit" else "torchvision"

    @property
    def unit(self):
        return "s/epoch" if self.task == "fit" else "s/call"

    @property
    def is_sequential(self):
        return all(isinstance(layer, (Dense, Conv, MaxPool, Flatten, Embedding, LSTM, GlobalAvgPool1D))
                   for layer in self.layers)

    @property
    def vocab(self):
        """The number of token ids of a "tokens" workload (its first layer's input_dim), else None."""
        first = self.layers[0]
        return first.input_dim if isinstance(first, Embedding) else getattr(first, "vocab", None)

    @property
    def input_dtype(self):
        return "int32" if self.data == "tokens" else "float32"


def _vgg16_layers(classes=1000):
    layers = []
    for convs, filters in ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)):
        layers += [Conv(filters, 3, "relu", "same")] * convs + [MaxPool(2)]
    return tuple(layers) + (Flatten(), Dense(4096, "relu"), Dense(4096, "relu"), Dense(classes, "softmax"))


_TINY_LAYERS = (Dense(16, "relu"), Dense(32, "relu"), Dense(2, "softmax"))
_MLP_LAYERS = (Dense(256, "relu"), Dense(128, "relu"), Dense(10, "softmax"))
_CNN_LAYERS = (Conv(32, 3, "relu"), MaxPool(2), Conv(64, 3, "relu"), MaxPool(2), Flatten(), Dense(10, "softmax"))
_RESNET_LAYERS = (ConvBNReLU(32), Residual(32), Residual(32), Residual(64, 2), Residual(64), Residual(128, 2),
                  Residual(128), GlobalAvgPool(), Dense(10, "softmax"))

_LSTM_LAYERS = (Embedding(20_000, 128), LSTM(64), Dense(1, "sigmoid"))
_TRANSFORMER_LAYERS = (TokenAndPosition(20_000, 200, 32), TransformerBlock(num_heads=2, key_dim=32, ff_dim=32),
                       GlobalAvgPool1D(), Dense(2, "softmax"))

CPU_WORKLOADS = (
    Workload("tiny", "the tutorial's model: Dense(16, relu) on 1 feature, Dense(32, relu), Dense(2, softmax)",
             (1,), 2, _TINY_LAYERS, batch_size=10, samples=20_000, quick_samples=1_000, data="tutorial"),
    Workload("mlp", "MLP 784-256-128-10 (relu, relu, softmax)", (784,), 10, _MLP_LAYERS, batch_size=128,
             samples=60_000, quick_samples=2_560),
    Workload("cnn", "Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, 3, relu), MaxPooling2D(2), Flatten, "
             "Dense(10, softmax) on 28x28x1", (28, 28, 1), 10, _CNN_LAYERS, batch_size=128, samples=8_000,
             quick_samples=640),
    Workload("vgg16-predict", "VGG16 (138,357,544 params) predict on one batch of 224x224x3", (224, 224, 3), 1000,
             _vgg16_layers(), batch_size=4, samples=4, quick_samples=4, task="predict", quick_calls=1,
             shared_init=False, application="VGG16"),
    Workload("lstm", "Embedding(20000, 128), LSTM(64), Dense(1, sigmoid) on integer sequences of length 200",
             (200,), 1, _LSTM_LAYERS, batch_size=64, samples=4_096, quick_samples=256, data="tokens",
             loss="binary_crossentropy"),
    Workload("transformer", "token + position Embedding(20000 / 200, 32), one Transformer block "
             "(MultiHeadAttention 2 heads of 32, LayerNormalization, Dense(32, relu) feed-forward, Dropout(0.1)), "
             "GlobalAveragePooling1D, Dense(2, softmax) on sequences of length 200", (200,), 2, _TRANSFORMER_LAYERS,
             batch_size=32, samples=4_096, quick_samples=256, data="tokens"),
)

GPU_WORKLOADS = (
    Workload("resnet-gpu", "ResNet-style CNN (7 blocks, BatchNormalization) on 32x32x3, mixed precision",
             (32, 32, 3), 10, _RESNET_LAYERS, batch_size=256, samples=25_600, quick_samples=2_560,
             shared_init=False, mixed_precision=True, gpu=True),
    Workload("tiny-gpu", "the tutorial's model at batch 100", (1,), 2, _TINY_LAYERS, batch_size=100,
             samples=20_000, quick_samples=2_000, data="tutorial", gpu=True),
    Workload("mlp-gpu", "MLP 784-256-128-10 at batch 1024", (784,), 10, _MLP_LAYERS, batch_size=1024,
             samples=60_000, quick_samples=6_000, gpu=True),
    Workload("cnn-gpu", "the cnn workload at batch 512", (28, 28, 1), 10, _CNN_LAYERS, batch_size=512,
             samples=32_000, quick_samples=4_096, gpu=True),
    Workload("vgg16-predict-gpu", "VGG16 predict on one batch of 32 images 224x224x3", (224, 224, 3), 1000,
             _vgg16_layers(), batch_size=32, samples=32, quick_samples=32, task="predict", calls=10,
             quick_calls=3, shared_init=False, application="VGG16", gpu=True),
)

WORKLOADS = {w.name: w for w in CPU_WORKLOADS + GPU_WORKLOADS}


def get(name):
    if name not in WORKLOADS:
        raise ValueError(f"Unknown workload {name!r}. Expected one of: {', '.join(WORKLOADS)}")
    return WORKLOADS[name]


# ---- shapes, data and initial weights --------------------------------------------------------------------------

def layer_input_shapes(workload):
    """The channels_last shape (without the batch axis) that enters each layer of the workload's model."""
    shapes = []
    shape = tuple(workload.input_shape)
    for layer in workload.layers:
        shapes.append(shape)
        if isinstance(layer, Dense):
            shape = shape[:-1] + (layer.units,)
        elif isinstance(layer, Conv):
            if layer.padding == "same":
                shape = (shape[0], shape[1], layer.filters)
            else:
                shape = (shape[0] - layer.kernel + 1, shape[1] - layer.kernel + 1, layer.filters)
        elif isinstance(layer, (ConvBNReLU, Residual)):
            strides = layer.strides
            shape = (math.ceil(shape[0] / strides), math.ceil(shape[1] / strides), layer.filters)
        elif isinstance(layer, MaxPool):
            shape = (shape[0] // layer.size, shape[1] // layer.size, shape[2])
        elif isinstance(layer, Flatten):
            shape = (int(np.prod(shape)),)
        elif isinstance(layer, (GlobalAvgPool, GlobalAvgPool1D)):
            shape = (shape[-1],)
        elif isinstance(layer, Embedding):
            shape = shape + (layer.output_dim,)
        elif isinstance(layer, TokenAndPosition):
            shape = shape + (layer.dim,)
        elif isinstance(layer, LSTM):
            shape = (layer.units,)
        elif isinstance(layer, TransformerBlock):
            pass
        else:
            raise ValueError(f"Unknown layer spec: {layer!r}")
    return shapes


def make_data(workload, samples, seed=SEED):
    """The workload's data: ``{"x": float32 array, "y": int64 labels}`` (no "y" for predict workloads).

    Args:
        workload: a Workload.
        samples: how many samples.
        seed: the numpy seed; the parent process makes the data once and every child loads the same file.
    """
    rng = np.random.default_rng(seed)
    if workload.data == "tutorial":
        # The tutorial's trial: ages 13-100; 95% of those 65 or older have side effects and 95% of the younger
        # ones do not. The ages are min-max scaled to [0, 1] as the tutorial scales them.
        ages = rng.integers(13, 101, size=samples)
        older = ages >= 65
        outlier = rng.random(samples) < 0.05
        y = np.where(outlier, ~older, older).astype(np.int64)
        x = ((ages - 13) / (100 - 13)).astype(np.float32).reshape(samples, 1)
        return {"x": x, "y": y}
    if workload.data == "tokens":
        return _make_token_data(workload, samples, rng)
    shape = tuple(workload.input_shape)
    if workload.task == "predict":
        return {"x": rng.random((samples,) + shape, dtype=np.float32)}
    # Each class has a random prototype; a sample is its class's prototype under heavy uniform noise. 5% of the
    # labels are then redrawn at random, so that, as with real data, the loss does not fall to zero (a loss near
    # zero would make the gradients, and the time some kernels take on tiny numbers, unrepresentative).
    prototypes = rng.random((workload.classes,) + shape, dtype=np.float32)
    y = rng.integers(0, workload.classes, size=samples).astype(np.int64)
    x = rng.random((samples,) + shape, dtype=np.float32)
    x *= 0.7
    x += 0.3 * prototypes[y]
    relabelled = rng.random(samples) < 0.05
    y[relabelled] = rng.integers(0, workload.classes, size=int(relabelled.sum()))
    return {"x": x, "y": y}


def _make_token_data(workload, samples, rng):
    """Integer "reviews" (ids from 1 to vocab - 1, 0 never occurs): random words, among which 10 are drawn from
    the label's own 50 "sentiment" words (ids 1-50 for label 0, 51-100 for label 1...), and 5% of the labels then
    redrawn at random. Binary workloads get float labels of shape (samples, 1)."""
    steps, classes = workload.input_shape[0], max(workload.classes, 2)
    y = rng.integers(0, classes, size=samples)
    x = rng.integers(1, workload.vocab, size=(samples, steps))
    rows = np.repeat(np.arange(samples), 10)
    columns = np.argsort(rng.random((samples, steps)), axis=1)[:, :10].reshape(-1)
    x[rows, columns] = 1 + 50 * np.repeat(y, 10) + rng.integers(0, 50, size=samples * 10)
    relabelled = rng.random(samples) < 0.05
    y[relabelled] = rng.integers(0, classes, size=int(relabelled.sum()))
    if workload.loss == "binary_crossentropy":
        return {"x": x.astype(np.int32), "y": y.astype(np.float32).reshape(-1, 1)}
    return {"x": x.astype(np.int32), "y": y.astype(np.int64)}


def _glorot_uniform(rng, shape, fan_in, fan_out):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def initial_weights(workload, seed=SEED):
    """The model's initial weights in Keras's layouts and ``model.get_weights()`` order (kernel then bias per
    layer; Dense kernel (in, out), Conv kernel (kh, kw, in, out); the sequence layers as the helpers below say):
    Glorot-uniform kernels and zero biases, as Keras initialises them. None for workloads with
    ``shared_init=False``."""
    if not workload.shared_init:
        return None
    rng = np.random.default_rng(seed + 1)
    weights = []
    for layer, shape in zip(workload.layers, layer_input_shapes(workload)):
        if isinstance(layer, Dense):
            weights += [_glorot_uniform(rng, (shape[-1], layer.units), shape[-1], layer.units),
                        np.zeros(layer.units, np.float32)]
        elif isinstance(layer, Conv):
            area = layer.kernel * layer.kernel
            kernel_shape = (layer.kernel, layer.kernel, shape[-1], layer.filters)
            weights += [_glorot_uniform(rng, kernel_shape, area * shape[-1], area * layer.filters),
                        np.zeros(layer.filters, np.float32)]
        elif isinstance(layer, Embedding):
            weights.append(_embedding(rng, layer.input_dim, layer.output_dim))
        elif isinstance(layer, TokenAndPosition):
            weights += [_embedding(rng, layer.vocab, layer.dim), _embedding(rng, layer.steps, layer.dim)]
        elif isinstance(layer, LSTM):
            weights += _lstm_weights(rng, shape[-1], layer.units)
        elif isinstance(layer, TransformerBlock):
            weights += _transformer_block_weights(rng, shape[-1], layer)
        elif not isinstance(layer, (MaxPool, Flatten, GlobalAvgPool1D)):
            raise ValueError(f"initial_weights does not support {layer!r}")
    return weights


def _embedding(rng, rows, dim):
    return rng.uniform(-0.05, 0.05, size=(rows, dim)).astype(np.float32)   # Keras's Embedding initializer


def _lstm_weights(rng, input_dim, units):
    """Keras's LSTM layout (gates i, f, c, o): kernel (input_dim, 4 units) Glorot-uniform, recurrent_kernel
    (units, 4 units) orthogonal, bias (4 units,) zero with the forget gate's quarter at 1 (unit_forget_bias)."""
    kernel = _glorot_uniform(rng, (input_dim, 4 * units), input_dim, 4 * units)
    q, r = np.linalg.qr(rng.normal(size=(4 * units, units)))
    recurrent = (q * np.sign(np.diag(r))).T.astype(np.float32)
    bias = np.zeros(4 * units, np.float32)
    bias[units:2 * units] = 1.0
    return [kernel, recurrent, bias]


def _transformer_block_weights(rng, dim, block):
    """Keras's order and layouts: MultiHeadAttention's query, key, value kernels (dim, heads, key_dim) and biases
    (heads, key_dim), output kernel (heads, key_dim, dim) and bias (dim,); LayerNormalization gamma, beta; the
    feed-forward Dense kernels and biases; the second LayerNormalization."""
    heads, key_dim, projected = block.num_heads, block.key_dim, block.num_heads * block.key_dim
    weights = []
    for _ in range(3):
        weights += [_glorot_uniform(rng, (dim, heads, key_dim), dim, projected), np.zeros((heads, key_dim), np.float32)]
    weights += [_glorot_uniform(rng, (heads, key_dim, dim), projected, dim), np.zeros(dim, np.float32)]
    norm = [np.ones(dim, np.float32), np.zeros(dim, np.float32)]
    weights += norm
    weights += [_glorot_uniform(rng, (dim, block.ff_dim), dim, block.ff_dim), np.zeros(block.ff_dim, np.float32),
                _glorot_uniform(rng, (block.ff_dim, dim), block.ff_dim, dim), np.zeros(dim, np.float32)]
    return weights + norm
