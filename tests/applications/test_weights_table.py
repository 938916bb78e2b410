"""The table of Keras's published ImageNet weight files (kerastorch/applications/weights.py) against what Keras's
own downloader asks for, recorded by tools/keras_weight_files.py: file names, URLs and hashes of every
application, of both helpers' families."""
import re

import pytest

from golden_loader import golden_json
from kerastorch.applications import weights as weight_files

RECORDED = golden_json("applications/keras_weight_files.json")


def table_key(case):
    """The table's key for a recorded case (Keras's function name, with the variant's arguments)."""
    match = re.match(r"MobileNetV3(Small|Large)_([\d.]+)(_minimalistic)?$", case)
    if match:
        kind, alpha, minimalistic = match.groups()
        return f"mobilenet_v3_{kind.lower()}{'_minimalistic' if minimalistic else ''}_{alpha}"
    match = re.match(r"MobileNet(V2)?_([\d.]+)_(\d+)$", case)
    if match:
        return f"mobilenet{'_v2' if match.group(1) else ''}_{match.group(2)}_{match.group(3)}"
    if case.startswith("EfficientNetV2"):
        return "efficientnetv2-" + case[len("EfficientNetV2"):].lower()
    if case.startswith("ConvNeXt"):
        return "convnext_" + case[len("ConvNeXt"):].lower()
    return {"InceptionV3": "inception_v3", "InceptionResNetV2": "inception_resnet_v2",
            "NASNetMobile": "nasnet_mobile", "NASNetLarge": "nasnet_large"}.get(case, case.lower())


CASES = [(case, top) for case in sorted(RECORDED) for top in RECORDED[case]]


def test_every_application_of_keras_is_recorded():
    assert len(RECORDED) == 88     # 21 networks, 15 EfficientNets, 16 + 30 + 6 MobileNet variants
    assert set(weight_files.KERAS_WEIGHTS) == {table_key(case) for case in RECORDED}


@pytest.mark.parametrize("case, top", CASES)
def test_file_name_hash_and_url_are_keras_ones(case, top, monkeypatch):
    monkeypatch.delenv("KERASTORCH_WEIGHTS_ORIGIN", raising=False)
    expected = RECORDED[case][top]
    filename, file_hash, *remote = weight_files.KERAS_WEIGHTS[table_key(case)][top == "top"]
    assert (filename, file_hash) == (expected["file"], expected["hash"])
    url = weight_files.keras_weights_url(table_key(case), remote[0] if remote else filename)
    assert url == expected["url"]


def test_a_mirror_replaces_the_server_and_keeps_the_folder(monkeypatch):
    monkeypatch.setenv("KERASTORCH_WEIGHTS_ORIGIN", "http://mirror.example/keras/")
    assert weight_files.keras_weights_url("resnet50", "a.h5") == "http://mirror.example/keras/resnet/a.h5"
    assert weight_files.keras_weights_url("efficientnetb0", "b.h5") == \
        "http://mirror.example/keras/keras-applications/b.h5"


def test_an_unknown_network_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match="No published ImageNet weights are known for 'resnet18'.*resnet50"):
        weight_files.imagenet_weights_path("resnet18", include_top=True)
