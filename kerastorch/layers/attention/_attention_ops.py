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
