"""Keras's import paths of the attention layers (Keras 3's and Keras 2's modules)."""
import kerastorch as keras


def test_keras_module_paths():
    from kerastorch.layers.attention.additive_attention import AdditiveAttention
    from kerastorch.layers.attention.attention import Attention
    from kerastorch.layers.attention.grouped_query_attention import GroupedQueryAttention
    from kerastorch.layers.attention.multi_head_attention import MultiHeadAttention
    from kerastorch.layers.core import EinsumDense
    assert (AdditiveAttention, Attention, GroupedQueryAttention, MultiHeadAttention, EinsumDense) == (
        keras.layers.AdditiveAttention, keras.layers.Attention, keras.layers.GroupQueryAttention,
        keras.layers.MultiHeadAttention, keras.layers.EinsumDense)
