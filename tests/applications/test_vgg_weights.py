"""Weights for the VGG networks: Keras 3 and Keras 2 files (written by real Keras, or in its layout), torchvision
state dicts (checked live against torchvision), the ImageNet lookup and download, and the errors."""
import functools
import hashlib
import http.server
import os
import threading
import time

import numpy as np
import pytest
import torch

import kerastorch as keras
from kerastorch.applications import VGG16, VGG19
from kerastorch.applications import weights as weight_files
from vgg_fixtures import ARRAYS, GOLDEN_DIR, seeded_weights, write_keras2_weights

torchvision = pytest.importorskip("torchvision")


def tiny_model():
    """The architecture of tools/golden_vgg.py's tiny model, with VGG's layer names."""
    inputs = keras.Input((8, 8, 3))
    x = inputs
    for block, filters in ((1, 4), (2, 8)):
        for conv in (1, 2):
            x = keras.layers.Conv2D(filters, 3, activation="relu", padding="same", name=f"block{block}_conv{conv}")(x)
        x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(16, activation="relu", name="fc1")(x)
    x = keras.layers.Dense(16, activation="relu", name="fc2")(x)
    outputs = keras.layers.Dense(5, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="tiny_vgg")


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * float(np.abs(expected).max()))


# ---- Keras 3 and Keras 2 files --------------------------------------------------------------------------------

@pytest.mark.parametrize("filename", ["tiny.weights.h5", "tiny_legacy.h5"])
def test_keras_written_files_give_keras_predictions(filename):
    model = tiny_model()
    weight_files.load_weights(model, str(GOLDEN_DIR / filename))
    assert_close(model.predict(ARRAYS["tiny_x"], verbose=0), ARRAYS["tiny_y"])


@pytest.fixture(scope="module")
def vgg19_notop_seeded():
    with pytest.MonkeyPatch.context() as patch:
        from kerastorch import initializers
        patch.setattr(initializers.VarianceScaling, "__call__", lambda self, shape, dtype=None: torch.zeros(shape))
        model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    model.set_weights(seeded_weights(model, 19))
    return model


@pytest.mark.parametrize("kind", ["keras3", "keras2", "keras"])
def test_full_vgg19_through_each_keras_format_gives_keras_predictions(kind, vgg19_notop_seeded, tmp_path,
                                                                      cheap_init):
    path = str(tmp_path / {"keras3": "w.weights.h5", "keras2": "w.h5", "keras": "m.keras"}[kind])
    if kind == "keras3":
        vgg19_notop_seeded.save_weights(path)
    elif kind == "keras2":
        write_keras2_weights(vgg19_notop_seeded, path)
    else:
        vgg19_notop_seeded.save(path)
    model = VGG19(weights=path, include_top=False, input_shape=(32, 32, 3), pooling="max")
    assert_close(model.predict(ARRAYS["vgg19_x"], verbose=0), ARRAYS["vgg19_y"])


def test_file_of_another_architecture_names_the_first_mismatched_layer(cheap_init):
    with pytest.raises(ValueError) as error:
        VGG16(weights=str(GOLDEN_DIR / "tiny.weights.h5"), include_top=False, input_shape=(32, 32, 3))
    message = str(error.value)
    assert "tiny.weights.h5" in message and "'vgg16'" in message
    assert "layer 'block1_conv1' expects weights of shapes [(3, 3, 3, 64), (64,)]" in message
    assert "('layers/conv2d') holds [(3, 3, 3, 4), (4,)]" in message


def test_vgg19_legacy_file_into_vgg16_fails_at_block4_conv1_and_assigns_nothing(vgg19_notop_seeded, tmp_path,
                                                                                  cheap_init):
    path = str(tmp_path / "vgg19_notop.h5")
    write_keras2_weights(vgg19_notop_seeded, path)
    model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    before = model.get_layer("block1_conv1").kernel.detach().clone()
    with pytest.raises(ValueError) as error:
        weight_files.load_weights(model, path)
    assert ("layer 'block4_conv1' expects weights of shapes [(3, 3, 256, 512), (512,)], but the file's entry #7 "
            "('block3_conv4') holds [(3, 3, 256, 256), (256,)]") in str(error.value)
    assert torch.equal(model.get_layer("block1_conv1").kernel.detach(), before)


def test_file_with_the_top_into_a_model_without_it(tmp_path):
    path = str(tmp_path / "tiny_top.h5")
    write_keras2_weights(tiny_model(), path)
    inputs = keras.Input((8, 8, 3))
    x = inputs
    for block, filters in ((1, 4), (2, 8)):
        for conv in (1, 2):
            x = keras.layers.Conv2D(filters, 3, padding="same", name=f"block{block}_conv{conv}")(x)
    notop = keras.Model(inputs, x)
    with pytest.raises(ValueError, match=r"the model has no more layers with weights \(it has 4\), but the file's "
                                         r"entry #4 \('fc1'\) holds \[\(32, 16\), \(16,\)\]"):
        weight_files.load_weights(notop, path)
    with pytest.raises(ValueError, match=r"no more layers with weights \(it has 4\), but the file's entry #4 "
                                         r"\('layers/dense'\) holds \[\(32, 16\), \(16,\)\]"):
        weight_files.load_weights(notop, str(GOLDEN_DIR / "tiny.weights.h5"))


def test_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(b"not weights at all")
    with pytest.raises(ValueError, match="Cannot"):
        weight_files.load_weights(tiny_model(), str(path))


# ---- torchvision --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def torchvision_vgg16():
    torch.manual_seed(0)
    return torchvision.models.vgg16(weights=None).eval()


@pytest.fixture(scope="module")
def torchvision_features_file(torchvision_vgg16, tmp_path_factory):
    """torchvision's VGG16 state dict without the classifier (what a notop model uses), saved with torch.save."""
    path = tmp_path_factory.mktemp("torchvision") / "vgg16_features.pth"
    torch.save({k: v for k, v in torchvision_vgg16.state_dict().items() if k.startswith("features.")}, path)
    return str(path)


def torch_mode_images(shape, seed):
    images = np.random.RandomState(seed).uniform(0, 255, shape).astype("float32")
    return keras.applications.imagenet_utils.preprocess_input(images, mode="torch")


def test_torchvision_weights_give_torchvision_features(torchvision_vgg16, torchvision_features_file, cheap_init):
    model = VGG16(weights=torchvision_features_file, include_top=False, input_shape=(64, 64, 3))
    images = torch_mode_images((2, 64, 64, 3), 1)
    with torch.inference_mode():
        expected = torchvision_vgg16.features(torch.from_numpy(images).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    assert_close(model.predict(images, verbose=0), expected.numpy())


@pytest.mark.slow
def test_full_torchvision_vgg16_gives_torchvision_predictions(torchvision_vgg16, tmp_path, cheap_init):
    path = tmp_path / "vgg16.pth"
    torch.save(torchvision_vgg16.state_dict(), path)
    model = VGG16(weights=str(path), classifier_activation=None)
    images = torch_mode_images((2, 224, 224, 3), 2)
    with torch.inference_mode():
        expected = torchvision_vgg16(torch.from_numpy(images).permute(0, 3, 1, 2)).numpy()
    assert_close(model.predict(images, verbose=0), expected)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fc1_rows_go_from_torch_channels_first_order_to_keras_order(tmp_path, data_format):
    # A small VGG-like top: 2x2x3 features flattened into 5 units. Unit u reads feature (h, w, c) with weight
    # 100*c + 10*h + w in torch's (c, h, w) columns; after conversion Keras's row (h, w, c) must hold the same
    # (Keras's Flatten orders (h, w, c) in both data formats).
    weight = torch.tensor([[100.0 * c + 10 * h + w for c in range(3) for h in range(2) for w in range(2)]] * 5)
    path = tmp_path / "top.pth"
    torch.save({"features.0.weight": torch.zeros(3, 3, 3, 3), "features.0.bias": torch.zeros(3),
                "classifier.0.weight": weight, "classifier.0.bias": torch.zeros(5)}, path)
    inputs = keras.Input((2, 2, 3) if data_format == "channels_last" else (3, 2, 2))
    x = keras.layers.Conv2D(3, 3, padding="same", data_format=data_format)(inputs)
    outputs = keras.layers.Dense(5)(keras.layers.Flatten(data_format=data_format, name="flatten")(x))
    model = keras.Model(inputs, outputs)
    weight_files.load_weights(model, str(path))
    kernel = model.layers[-1].kernel.detach().numpy()
    expected_rows = [100.0 * c + 10 * h + w for h in range(2) for w in range(2) for c in range(3)]
    np.testing.assert_array_equal(kernel[:, 0], expected_rows)


def test_channels_first_vgg16_with_torchvision_weights(torchvision_vgg16, torchvision_features_file, cheap_init):
    keras.backend.set_image_data_format("channels_first")
    try:
        model = VGG16(weights=torchvision_features_file, include_top=False, input_shape=(3, 32, 32))
    finally:
        keras.backend.set_image_data_format("channels_last")
    images = np.ascontiguousarray(torch_mode_images((2, 32, 32, 3), 4).transpose(0, 3, 1, 2))
    with torch.inference_mode():
        expected = torchvision_vgg16.features(torch.from_numpy(images)).numpy()
    assert_close(model.predict(images, verbose=0), expected)


def test_a_pickled_module_is_not_loaded(tmp_path, torchvision_vgg16):
    path = tmp_path / "module.pth"
    torch.save(torch.nn.Linear(2, 2), path)   # a whole module: only loadable by running pickled code
    with pytest.raises(ValueError, match="Cannot read .* as a torch state dict"):
        weight_files.load_weights(tiny_model(), str(path))


# ---- weights="imagenet" -------------------------------------------------------------------------------------

@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Keras and torch caches, and no way to reach the internet (a closed loopback port)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("KERASTORCH_WEIGHTS_ORIGIN", "http://127.0.0.1:9")
    return tmp_path


def test_cache_locations_follow_keras_home_and_torch_home(caches):
    assert weight_files.keras_cache_dir() == str(caches / "keras_home" / "models")
    assert weight_files.torch_cache_dir() == str(caches / "torch_home" / "hub" / "checkpoints")


def test_without_any_file_or_network_the_error_names_both_places_and_files(caches):
    start = time.monotonic()
    with pytest.raises(ValueError) as error:
        VGG16(weights="imagenet", include_top=False)
    assert time.monotonic() - start < 10
    message = str(error.value)
    for expected in ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", weight_files.keras_cache_dir(),
                     "vgg16-397923af.pth", weight_files.torch_cache_dir()):
        assert expected in message


def test_a_cached_keras_file_with_the_published_hash_is_used(caches, monkeypatch, cheap_init):
    seeded = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    seeded.set_weights(seeded_weights(seeded, 5))
    folder = caches / "keras_home" / "models"
    folder.mkdir(parents=True)
    path = folder / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    write_keras2_weights(seeded, str(path))
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    monkeypatch.setitem(weight_files.KERAS_WEIGHTS, "vgg16", {False: (path.name, digest)})
    model = VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    for loaded, expected in zip(model.weights, seeded.weights):
        assert torch.equal(loaded.detach(), expected.detach())


def test_a_cached_file_with_another_hash_is_not_trusted(caches, monkeypatch):
    folder = caches / "keras_home" / "models"
    folder.mkdir(parents=True)
    (folder / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5").write_bytes(b"truncated")
    with pytest.raises(ValueError, match="exists but does not have the published MD5"):
        weight_files.imagenet_weights_path("vgg16", include_top=False)


@pytest.fixture
def loopback_server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served, in a thread; yields (folder, origin)."""
    folder = tmp_path / "served"
    (folder / "vgg16").mkdir(parents=True)
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_from_the_origin_checks_the_hash_and_renames_into_place(caches, loopback_server, monkeypatch,
                                                                        capsys):
    folder, origin = loopback_server
    payload = os.urandom(3 << 20)
    (folder / "vgg16" / "fake_notop.h5").write_bytes(payload)
    monkeypatch.setenv("KERASTORCH_WEIGHTS_ORIGIN", origin)
    monkeypatch.setitem(weight_files.KERAS_WEIGHTS, "vgg16",
                        {False: ("fake_notop.h5", hashlib.md5(payload).hexdigest())})
    path, source = weight_files.imagenet_weights_path("vgg16", include_top=False)
    assert (path, source) == (os.path.join(weight_files.keras_cache_dir(), "fake_notop.h5"), "keras")
    with open(path, "rb") as file:
        assert file.read() == payload
    output = capsys.readouterr().out
    assert f"Downloading data from {origin}/vgg16/fake_notop.h5" in output
    assert "3145728/3145728" in output      # the progress bar counts bytes
    assert os.listdir(weight_files.keras_cache_dir()) == ["fake_notop.h5"]


def test_a_download_with_the_wrong_hash_leaves_nothing_behind(caches, loopback_server, monkeypatch):
    folder, origin = loopback_server
    (folder / "vgg16" / "fake_notop.h5").write_bytes(b"some other file")
    monkeypatch.setenv("KERASTORCH_WEIGHTS_ORIGIN", origin)
    monkeypatch.setitem(weight_files.KERAS_WEIGHTS, "vgg16", {False: ("fake_notop.h5", "0" * 32)})
    with pytest.raises(ValueError, match="could not be downloaded .*not the published"):
        weight_files.imagenet_weights_path("vgg16", include_top=False)
    assert os.listdir(weight_files.keras_cache_dir()) == []


def test_only_torchvision_file_present_warns_about_torch_preprocessing(caches, monkeypatch, torchvision_vgg16,
                                                                      torchvision_features_file, cheap_init):
    with open(torchvision_features_file, "rb") as file:
        sha_prefix = hashlib.sha256(file.read()).hexdigest()[:8]
    name = f"vgg16-{sha_prefix}.pth"
    folder = caches / "torch_home" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    os.symlink(torchvision_features_file, folder / name)
    monkeypatch.setitem(weight_files.TORCHVISION_WEIGHTS, "vgg16", name)
    with pytest.warns(UserWarning, match='preprocess_input\\(x, mode="torch"\\)'):
        model = VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    images = torch_mode_images((1, 32, 32, 3), 3)
    with torch.inference_mode():
        expected = torchvision_vgg16.features(torch.from_numpy(images).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    assert_close(model.predict(images, verbose=0), expected.numpy())


def test_a_torchvision_file_whose_content_does_not_match_its_name_is_refused(caches, monkeypatch):
    folder = caches / "torch_home" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "vgg16-397923af.pth").write_bytes(b"partial download")
    with pytest.raises(ValueError, match="does not have the SHA-256 its name promises"):
        weight_files.imagenet_weights_path("vgg16", include_top=False)
