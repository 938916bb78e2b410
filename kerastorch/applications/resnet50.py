"""``keras.applications.resnet50``: ResNet50 with its preprocessing and decoding (the same as ``resnet``'s)."""
from kerastorch.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
