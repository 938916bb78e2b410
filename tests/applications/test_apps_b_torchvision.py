"""Whether torchvision's MobileNetV2 / MobileNetV3Small are Keras's networks: their state dicts map one to one onto
Keras's layers, and the networks compute the same function exactly when every strided convolution sees an odd-sized
input (where TensorFlow's 'same' padding, which Keras's architecture encodes, is symmetric like torchvision's), and
a different one otherwise: on even sizes (224 included) Keras pads one pixel after, torchvision one on each side.
So torchvision's weights are not Keras's network's weights, and ``weights=`` does not offer them for these
networks. torchvision's EfficientNetV2S is the same case (a slow test).

torchvision's EfficientNetB0 differs in the same way, and also lacks Keras's Normalization stem layer (its
weights hold the ImageNet statistics), so its state dict does not even map onto Keras's layers."""
import numpy as np
import pytest
import torch

from apps_b_cases import raw_images
from kerastorch.applications import MobileNetV2, MobileNetV3Small
from torchvision_shared import randomized_state_dict_file, torch_predict

torchvision = pytest.importorskip("torchvision")


def _compensate_batch_norm_epsilon(model, torch_epsilon):
    """Keras's batch norms divide by sqrt(variance + 1e-3), torchvision's MobileNetV2's by sqrt(variance + 1e-5):
    moving the difference into the variance makes them compute the same."""
    with torch.no_grad():
        for layer in model.layers:
            if type(layer).__name__ == "BatchNormalization" and layer.epsilon != torch_epsilon:
                layer.moving_variance.add_(torch_epsilon - layer.epsilon)


def _max_relative_difference(ours, reference):
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


def test_torchvision_mobilenet_v2_equals_keras_only_where_strided_inputs_are_odd(tmp_path, cheap_init):
    path = str(tmp_path / "mobilenet_v2.pth")
    reference = randomized_state_dict_file(torchvision.models.mobilenet_v2(weights=None, num_classes=10), path)
    for size, same in ((33, True), (32, False)):   # 33 -> 17 -> 9 -> 5 -> 3 -> 2: odd before every stride 2
        model = MobileNetV2(weights=path, input_shape=(size, size, 3), classes=10, classifier_activation=None)
        _compensate_batch_norm_epsilon(model, 1e-5)
        x = raw_images("torchvision", size) / 127.5 - 1
        difference = _max_relative_difference(model.predict(x, verbose=0), torch_predict(reference, x))
        assert (difference < 1e-4) if same else (difference > 1e-2), (size, difference)


def test_torchvision_mobilenet_v3_small_features_equal_keras_only_where_strided_inputs_are_odd(tmp_path,
                                                                                               cheap_init):
    path = str(tmp_path / "mobilenet_v3_small.pth")
    reference = randomized_state_dict_file(torchvision.models.mobilenet_v3_small(weights=None), path)
    for size, same in ((33, True), (32, False)):
        model = MobileNetV3Small(weights=path, include_top=False, include_preprocessing=False,
                                 input_shape=(size, size, 3))
        x = raw_images("torchvision", size) / 127.5 - 1
        with torch.inference_mode():
            expected = reference.features(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
        difference = _max_relative_difference(model.predict(x, verbose=0), expected)
        assert (difference < 1e-4) if same else (difference > 1e-2), (size, difference)



@pytest.mark.slow
def test_torchvision_efficientnet_v2_s_features_equal_keras_only_where_strided_inputs_are_odd(tmp_path,
                                                                                              cheap_init):
    from kerastorch.applications import EfficientNetV2S
    path = str(tmp_path / "efficientnet_v2_s.pth")
    reference = randomized_state_dict_file(torchvision.models.efficientnet_v2_s(weights=None), path)
    for size, same in ((33, True), (32, False)):
        model = EfficientNetV2S(weights=path, include_top=False, include_preprocessing=False,
                                input_shape=(size, size, 3))
        x = raw_images("torchvision", size) / 127.5 - 1
        with torch.inference_mode():
            expected = reference.features(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
        difference = _max_relative_difference(model.predict(x, verbose=0), expected)
        assert (difference < 1e-4) if same else (difference > 1e-2), (size, difference)


def test_torchvision_efficientnet_b0_state_dict_does_not_fit_keras_stem(tmp_path, cheap_init):
    from kerastorch.applications import EfficientNetB0
    path = str(tmp_path / "efficientnet_b0.pth")
    randomized_state_dict_file(torchvision.models.efficientnet_b0(weights=None), path)
    stem_statistics = r"layer 'normalization(_\d+)?' expects weights of shapes \[\(3,\), \(3,\), \(\)\]"
    with pytest.raises(ValueError, match=stem_statistics):
        EfficientNetB0(weights=path, include_top=False, input_shape=(32, 32, 3))
