"""Attention layers: MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention."""
from kerastorch.layers.attention.multi_head_attention import MultiHeadAttention
