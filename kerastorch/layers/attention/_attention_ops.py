"""The rules the attention layers share: merging masks, the causal mask, checking an ``attention_mask``, the
masked softmax, and dot-product attention on ``scaled_dot_product_attention`` with Keras's mask semantics."""
import string

import torch
import torch.nn.functional as F


def causal_mask(query_length, key_length, device):
    """``(1, T, S)`` booleans: query step ``t`` may attend to key steps ``s <= t``."""
    rows = torch.arange(query_length, device=device).unsqueeze(-1)
    columns = torch.arange(key_length, device=device)
    return (rows >= columns).unsqueeze(0)


def merge_masks(query_mask=None, value_mask=None, key_mask=None, causal=None, attention_mask=None):
    """One boolean mask of shape ``(B, T, S)`` (or broadcastable to it) from the masks given, or None.

    ``query_mask`` ``(B, T)`` hides query steps, ``value_mask``/``key_mask`` ``(B, S)`` hide key steps,
    ``causal`` is ``(1, T, S)`` and ``attention_mask`` ``(B, T, S)``: a pair attends only where all allow it.
    """
    merged = None
    for mask in (None if query_mask is None else query_mask.bool().unsqueeze(-1),
                 None if value_mask is None else value_mask.bool().unsqueeze(-2),
                 None if key_mask is None else key_mask.bool().unsqueeze(-2),
                 causal,
                 None if attention_mask is None else attention_mask.bool()):
        if mask is not None:
            merged = mask if merged is None else merged & mask
    return merged


def check_attention_mask(layer, attention_mask, expected):
    """A ValueError naming ``layer`` unless ``attention_mask`` broadcasts to the scores' ``expected`` shape
    ``(B, <query steps>, <key steps>)`` (its leading axes may be missing or 1)."""
    if attention_mask is None:
        return
    shape = tuple(attention_mask.shape)
    fits = 2 <= len(shape) <= len(expected) and all(
        got in (want, 1) or want is None for got, want in zip(shape[::-1], expected[::-1]))
    if not fits or shape[-2:] != tuple(expected[-2:]):
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): `attention_mask` must have the shape "
                         f"(batch_size, target_length, source_length) = {tuple(expected)} (the batch axis may be 1 "
                         f"or missing). Received: attention_mask.shape={shape}")


def large_negative(dtype):
    """What Keras adds to the logits that a mask hides on its dot-product path."""
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


def dot_product_attention(query, key, value, mask, scale, dropout_p=0.0, causal_only=False,
                          zero_hidden_rows=False):
    """``softmax(q k^T * scale + mask) v`` on ``F.scaled_dot_product_attention`` (flash or memory-efficient
    kernels on a GPU).

    Args:
        query, key, value: ``(B, T, H, D)``, ``(B, S, Hkv, D)``, ``(B, S, Hkv, Dv)``; ``H`` a multiple of ``Hkv``
            (grouped-query attention: query head ``h`` reads key/value head ``h // (H // Hkv)``).
        mask: booleans broadcastable to ``(B, H, T, S)``, True where a pair attends; or None.
        scale: the factor of the logits.
        dropout_p: the dropout rate of the attention probabilities (only in training).
        causal_only: the mask is the causal one alone (then ``mask`` is None), which SDPA builds itself.
        zero_hidden_rows: a query step the mask hides entirely gives zeros (Keras's explicit path), instead of the
            average of the values (its dot-product path, where hidden logits get a large negative number).

    Returns: ``(B, T, H, Dv)``.
    """
    q, k, v = query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2)
    bias = None
    if mask is not None:
        bias = torch.zeros(mask.shape, dtype=q.dtype, device=q.device).masked_fill_(~mask, large_negative(q.dtype))
    grouped = q.shape[1] != k.shape[1]
    output = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p, is_causal=causal_only,
                                            scale=scale, enable_gqa=grouped)
    if zero_hidden_rows and mask is not None:
        output = output * mask.any(-1, keepdim=True).to(output.dtype)
    return output.transpose(1, 2)


def masked_softmax(scores, mask, axes_count=1):
    """Softmax over the last ``axes_count`` axes where ``mask`` (broadcastable booleans) allows, zeros elsewhere:
    a row that the mask hides entirely is all zeros."""
    if mask is not None:
        scores = scores.masked_fill(~mask, -3e4 if scores.dtype == torch.float16 else -1e9)
    if axes_count == 1:
        probabilities = torch.softmax(scores, dim=-1)
    else:
        probabilities = torch.softmax(scores.flatten(-axes_count), dim=-1).view(scores.shape)
    if mask is not None:
        probabilities = probabilities.masked_fill(~mask, 0.0)
    return probabilities


def attention_equations(rank, attention_axes):
    """The einsum equations of multi-axis attention on projected tensors of ``rank``
    ``(B, <other axes>, <attention axes>, heads, channels)``: ``(scores, combine)``, where
    ``scores = einsum(scores_eq, key, query)`` has the axes ``(<batch axes>, <query attention axes>,
    <key attention axes>)`` (the heads axis among the batch axes) and ``einsum(combine_eq, scores, value)`` is the
    output. The batch axes are every axis but the attention axes and the channels."""
    letters = iter(string.ascii_letters)
    query_axes = [next(letters) for _ in range(rank)]
    key_axes = [next(letters) if axis in attention_axes else query_axes[axis] for axis in range(rank)]
    batch = [query_axes[axis] for axis in range(rank - 1) if axis not in attention_axes]
    scores = "".join(batch + [query_axes[a] for a in attention_axes] + [key_axes[a] for a in attention_axes])
    query, key = "".join(query_axes), "".join(key_axes)
    return f"{key},{query}->{scores}", f"{scores},{key}->{query}"


def multi_head_attention(layer, query, key, value, mask, causal_only, training, fused, equations=None,
                         axes_count=1):
    """``(output, scores)`` of multi-head attention on projected tensors ``(B, <steps>, heads, channels)``, with
    ``layer``'s ``_scale``, ``_dropout`` rate and ``_dropout_layer``.

    ``fused``: on ``scaled_dot_product_attention`` (``scores`` is None then); else explicit einsums
    (``equations``, default those of one attention axis) and a masked softmax over the last ``axes_count`` axes
    of the scores, which are returned with the mask they saw attached (as Keras's Softmax leaves it). ``mask``
    lacks the heads axis; ``causal_only`` says the only mask is the causal one (``mask`` is None then). Key and
    value may have fewer heads than the query (grouped-query attention).
    """
    target, source = query.shape[1], key.shape[1]
    if fused:
        while mask is not None and mask.dim() < 4:
            mask = mask.unsqueeze(-3)   # (B, T, S) -> (B, 1, T, S): the same for every head
        # Keras takes its explicit path when dropout is set: there a query step hidden entirely gives zeros.
        output = dot_product_attention(query, key, value, mask, layer._scale,
                                       dropout_p=layer._dropout if training else 0.0, causal_only=causal_only,
                                       zero_hidden_rows=layer._dropout > 0)
        return output, None
    if causal_only:
        mask = causal_mask(target, source, query.device)
    if key.shape[-2] != query.shape[-2]:
        repeats = query.shape[-2] // key.shape[-2]
        key, value = key.repeat_interleave(repeats, dim=-2), value.repeat_interleave(repeats, dim=-2)
    scores_equation, combine_equation = equations or attention_equations(4, (1,))
    scores = torch.einsum(scores_equation, key, query * layer._scale)
    # The mask lacks the heads (and other batch) axes: they go before the query's attention axes.
    while mask is not None and mask.dim() < scores.dim():
        mask = mask.unsqueeze(-2 * axes_count - 1)
    scores = masked_softmax(scores, mask, axes_count)
    dropped = layer._dropout_layer(scores, training=training) if layer._dropout > 0 else scores
    if mask is not None:
        scores._keras_mask = mask
    return torch.einsum(combine_equation, dropped, value), scores


def attention_mask_of(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
    """``(mask, causal_only)``: the merged mask of an attention call, and whether it is the causal mask alone
    (then left to the kernel, and ``mask`` is None)."""
    causal_only = use_causal_mask and query_mask is None and value_mask is None and key_mask is None \
        and attention_mask is None
    if causal_only:
        return None, True
    causal = causal_mask(query.shape[1], value.shape[1], query.device) if use_causal_mask else None
    return merge_masks(query_mask, value_mask, key_mask, causal, attention_mask), False
