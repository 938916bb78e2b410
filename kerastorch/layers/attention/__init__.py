"""Attention layers: MultiHeadAttention, GroupedQueryAttention (GroupQueryAttention), Attention,
AdditiveAttention. Their modules are also Keras's import paths (``keras.layers.attention.multi_head_attention``)."""
from kerastorch.layers.attention.attention import AdditiveAttention, Attention
from kerastorch.layers.attention.grouped_query_attention import GroupedQueryAttention, GroupQueryAttention
from kerastorch.layers.attention.multi_head_attention import MultiHeadAttention
