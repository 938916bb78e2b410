"""Fixtures of the applications tests."""
import pytest


@pytest.fixture
def cheap_init(monkeypatch):
    """Zeros instead of random initial weights (seconds to draw for the full networks) where they do not count."""
    import torch
    from kerastorch import initializers
    monkeypatch.setattr(initializers.VarianceScaling, "__call__",
                        lambda self, shape, dtype=None: torch.zeros(tuple(shape)))
