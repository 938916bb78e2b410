"""Embedding: integer indices to dense vectors, one ``F.embedding`` lookup."""
import collections
import warnings

import torch
import torch.nn.functional as F

from kerastorch import constraints, initializers, regularizers
from kerastorch.layers._conv_utils import positive_int
from kerastorch.layers.layer import Layer

_INDEX_DTYPES = (torch.int32, torch.int64)


class _RangeReport:
    """The minimum and maximum of one call's indices, on their way from the device to the host: a non-blocking
    copy into page-locked memory and a CUDA event after it (on other accelerators, read when asked)."""

    def __init__(self, inputs):
        extremes = torch.stack(torch.aminmax(inputs)).to(torch.int64)
        self.shape = tuple(inputs.shape)
        self.device = inputs.device
        self._event = None
        if extremes.is_cuda:
            self._host = torch.empty(2, dtype=torch.int64, pin_memory=True)
            self._host.copy_(extremes, non_blocking=True)
            self._event = torch.cuda.Event()
            self._event.record()
        else:
            self._host = extremes

    def arrived(self):
        """Whether the values can be read without waiting for the device."""
        return self._event is None or self._event.query()

    def raise_if_out_of_range(self, layer):
        low, high = self._host.tolist()
        if low < 0 or high >= layer.input_dim:
            raise layer._out_of_range_error(
                high if high >= layer.input_dim else low,
                f"It was in the input of shape {self.shape} of an earlier call on {self.device}, whose outputs were "
                f"computed from clamped indices (on an accelerator the check does not wait for the device; it is "
                f"reported by the next call).")


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors: row ``i`` of ``embeddings`` for index ``i``.

    Args:
        input_dim: the size of the vocabulary (the largest index plus one).
        output_dim: the size of each vector.
        embeddings_initializer: initializer of ``embeddings`` (default ``"uniform"``: uniform in [-0.05, 0.05]).
        embeddings_regularizer, activity_regularizer: penalties added to ``losses``.
        embeddings_constraint: applied after each optimizer step.
        mask_zero: index 0 is padding: the output carries the mask ``inputs != 0``, which the following layers
            (an LSTM, ``GlobalAveragePooling1D``, the loss and the metrics) honour. Index 0 is then no word, so
            ``input_dim`` is the vocabulary size plus one.
        weights: an initial ``(input_dim, output_dim)`` matrix (or a list holding it).
        lora_rank, lora_alpha: fine-tune with LoRA from the start (see `enable_lora`).
        input_length: Keras 2's fixed sequence length. Keras 3 warns and ignores it; here it also declares the
            input ``(None, input_length)`` of a Sequential model, as Keras 2 did, when no input shape is given.

    Input shape: ``(batch, ...)`` of integers (any int dtype; floats holding integers are truncated to int, as
        Keras casts them). Each index must lie in ``[0, input_dim)``: one outside is a ValueError naming it.
    Output shape: ``(batch, ..., output_dim)``.
    Weights: ``embeddings`` of shape ``(input_dim, output_dim)``.

    The range check costs nothing on the CPU: ``F.embedding`` checks there already, and its error is re-raised
    as a ValueError (the offending index is looked up only then). On an accelerator, where an out-of-range index
    is a device-side assert that kills the process's CUDA context, an eager call never waits for the device: it
    looks up clamped indices (so a bad one cannot crash the device), and the indices' minimum and maximum go to
    the host with a non-blocking copy. The layer reads them once the device has got there (a CUDA event says
    so) and raises the ValueError at its next call: a bad batch is reported one or a few calls late, and its
    outputs are not to be used. Under ``torch.compile`` or tracing the check is skipped.

    >>> layer = Embedding(1000, 64, mask_zero=True)
    >>> out = layer(np.array([[4, 20, 0]]))
    >>> out.shape, out._keras_mask
    (torch.Size([1, 3, 64]), tensor([[ True,  True, False]]))
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        if kwargs.pop("quantization_config", None) is not None:
            raise NotImplementedError("Embedding(quantization_config=...) is not supported by kerastorch.")
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", self)
        self.output_dim = positive_int(output_dim, "output_dim", self)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        # Indices are never cast to the compute dtype (a float input is turned into indices in `call`).
        self.autocast = False
        self.input_length = input_length
        # Keras 2: `input_length` fixed the input of a Sequential model; the declaration is not part of the config.
        self._declared_by_input_length = input_length is not None and self._batch_input_shape is None
        if self._declared_by_input_length:
            self._batch_input_shape = (None, input_length)
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Freeze ``embeddings`` and learn a low-rank update instead: the lookup then reads
        ``embeddings + (lora_alpha / rank) * lora_embeddings_a @ lora_embeddings_b``, with ``lora_embeddings_a``
        ``(input_dim, rank)`` and ``lora_embeddings_b`` ``(rank, output_dim)`` (zeros at first, so the layer starts
        unchanged). ``lora_alpha`` defaults to ``rank``. Saving writes the merged matrix as ``embeddings``, as Keras
        does.

        Keras 3.15's build forgets the constructor's ``lora_alpha`` (it enables LoRA with ``lora_alpha=rank``);
        here ``Embedding(..., lora_rank=r, lora_alpha=a)`` scales by ``a / r`` as Keras documents.
        """
        if self.embeddings_constraint:
            raise ValueError("Lora is incompatible with embedding constraints. In order to enable lora on this layer, "
                             "remove the `embeddings_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        # float32 whatever the layer's dtype, as Keras keeps them (no underflow while fine-tuning).
        self.lora_embeddings_a = self.add_weight(name="lora_embeddings_a", shape=(self.input_dim, rank),
                                                 initializer=initializers.get(a_initializer), dtype="float32",
                                                 regularizer=self.embeddings_regularizer)
        self.lora_embeddings_b = self.add_weight(name="lora_embeddings_b", shape=(rank, self.output_dim),
                                                 initializer=initializers.get(b_initializer), dtype="float32",
                                                 regularizer=self.embeddings_regularizer)
        self.embeddings.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _lookup_table(self):
        """The matrix the lookup reads: ``embeddings``, plus the scaled low-rank update under LoRA."""
        if not self.lora_enabled:
            return self.embeddings
        update = (self.lora_alpha / self.lora_rank) * (self.lora_embeddings_a @ self.lora_embeddings_b)
        return self.embeddings + update.to(self.embeddings.dtype)

    def save_own_variables(self, store):
        store["0"] = self._lookup_table().detach().cpu()

    def load_own_variables(self, store):
        """Keras's rule: the saved ``embeddings`` (LoRA merged in), and under LoRA a zero update."""
        if set(store) != {"0"}:
            raise ValueError(f"Layer '{self.name}' expected 1 variable, but received {len(store)} variables during "
                             f"loading.")
        value = torch.as_tensor(store["0"])
        if tuple(value.shape) != tuple(self.embeddings.shape):
            raise ValueError(f"Layer '{self.name}': a variable has shape {tuple(self.embeddings.shape)}, but the "
                             f"saved value has shape {tuple(value.shape)}.")
        with torch.no_grad():
            self.embeddings.copy_(value.to(device=self.embeddings.device, dtype=self.embeddings.dtype))
            if self.lora_enabled:
                self.lora_embeddings_a.zero_()
                self.lora_embeddings_b.zero_()

    def call(self, inputs):
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.to(torch.int32)
        if inputs.device.type != "cpu" and not torch.compiler.is_compiling() and not torch.jit.is_tracing():
            return self._accelerator_lookup(inputs)
        try:
            return F.embedding(inputs, self._lookup_table())
        except IndexError:
            # The CPU kernel's own check; only a failing call pays for finding the index.
            self._raise_out_of_range(inputs)
            raise

    def _accelerator_lookup(self, inputs):
        """The lookup of an eager call on an accelerator, with its range check deferred (see the class
        docstring): raise for an earlier call whose report has arrived, then look up clamped indices and send
        this call's minimum and maximum on their way."""
        checks = self.__dict__.setdefault("_pending_range_checks", collections.deque())
        while checks and checks[0].arrived():
            checks.popleft().raise_if_out_of_range(self)
        if inputs.numel():
            checks.append(_RangeReport(inputs))
        return F.embedding(inputs.clamp(0, self.input_dim - 1), self._lookup_table())

    def __getstate__(self):
        # Reports in flight (CUDA events, page-locked buffers) belong to this layer's calls, not to a copy.
        state = dict(super().__getstate__())
        state.pop("_pending_range_checks", None)
        return state

    def _raise_out_of_range(self, inputs):
        bad = inputs[(inputs < 0) | (inputs >= self.input_dim)]
        index = int(bad[0]) if bad.numel() else None
        raise self._out_of_range_error(index, f"{bad.numel()} of the {inputs.numel()} indices of the input (shape "
                                              f"{tuple(inputs.shape)}) are out of range.")

    def _out_of_range_error(self, index, detail):
        return ValueError(f"Layer '{self.name}' (Embedding) received index {index}, which is out of range: indices "
                          f"must be in [0, input_dim) = [0, {self.input_dim}) (input_dim={self.input_dim}). "
                          f"{detail}")

    def compute_mask(self, inputs, previous_mask):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = super().get_config()
        if self._declared_by_input_length:
            config.pop("batch_input_shape", None)
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        })
        if self.lora_rank:
            config.update({"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha})
        return config

    def extra_repr(self):
        extra = ", mask_zero=True" if self.mask_zero else ""
        return f"name={self.name!r}, input_dim={self.input_dim}, output_dim={self.output_dim}{extra}"
