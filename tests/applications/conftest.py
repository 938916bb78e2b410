"""Fixtures of the applications tests."""
import pytest


@pytest.fixture
def cheap_init(monkeypatch):
    """Skip drawing random initial weights (seconds for the full networks) where only the architecture counts."""
    import torch
    from kerastorch import initializers
    monkeypatch.setattr(initializers.VarianceScaling, "__call__",
                        lambda self, shape, dtype=None: torch.empty(tuple(shape)))
