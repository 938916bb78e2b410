"""The porting runner: `kerastorch run SCRIPT`, the keras/tensorflow import hook and the missing-symbol errors."""
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import kerastorch.backend
import kerastorch.layers
from kerastorch import _porting
from kerastorch.__main__ import main
from kerastorch._porting import missing_attribute

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def keras_hook():
    """The import hook, installed for one test and removed with every module it gave out."""
    _porting.install()
    yield
    _porting.uninstall()


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """A package ``ktfake`` (with ``sub`` and plain module ``plain``) whose modules use ``missing_attribute``."""
    package = tmp_path / "ktfake"
    package.mkdir()
    getattr_line = "from kerastorch._porting import missing_attribute\n__getattr__ = missing_attribute(__name__)\n"
    (package / "__init__.py").write_text(getattr_line)
    (package / "sub.py").write_text("VALUE = 1\n")
    (package / "plain.py").write_text(getattr_line)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "ktfake"
    for name in [name for name in sys.modules if name.split(".")[0] == "ktfake"]:
        del sys.modules[name]


def write_script(path, source):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def run(command, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


# The import hook.

def test_import_keras_is_kerastorch(keras_hook):
    import keras

    assert keras is sys.modules["kerastorch"]
    assert keras.__name__ == "kerastorch"


def test_keras_submodules_are_the_kerastorch_modules(keras_hook):
    import keras.layers
    from keras import backend as K
    from keras.backend import floatx

    assert sys.modules["keras.layers"] is kerastorch.layers
    assert keras.layers is kerastorch.layers
    assert K is kerastorch.backend
    assert floatx is kerastorch.backend.floatx


def test_tensorflow_keras_paths_are_kerastorch(keras_hook):
    from tensorflow import keras
    import tensorflow.keras as keras_by_attribute
    import tensorflow.keras.layers
    from tensorflow.keras.backend import epsilon

    assert keras is sys.modules["kerastorch"]
    assert keras_by_attribute is keras
    assert sys.modules["tensorflow.keras.layers"] is kerastorch.layers
    assert epsilon is kerastorch.backend.epsilon


def test_aliased_modules_keep_their_own_spec(keras_hook):
    import keras.backend

    assert keras.__spec__.name == "kerastorch"
    assert keras.backend.__spec__.name == "kerastorch.backend"


def test_missing_keras_module_raises_module_not_found_naming_it(keras_hook):
    with pytest.raises(ModuleNotFoundError,
                       match=r"^keras\.layers\.no_such_module is not provided by kerastorch \(yet\)$"):
        import keras.layers.no_such_module  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match=r"^tensorflow\.keras\.no_such_module is not provided by kerastorch"):
        import tensorflow.keras.no_such_module  # noqa: F401


def test_import_tensorflow_gives_a_stub_whose_keras_is_kerastorch(keras_hook):
    import tensorflow as tf

    assert tf.keras is sys.modules["kerastorch"]


def test_tensorflow_attribute_other_than_keras_raises_import_error_naming_it(keras_hook):
    import tensorflow as tf

    with pytest.raises(ImportError, match=r"tensorflow\.constant is not available: kerastorch provides only "
                                          r"tensorflow\.keras"):
        tf.constant([1.0])
    with pytest.raises(ImportError, match=r"tensorflow\.Variable is not available"):
        from tensorflow import Variable  # noqa: F401


def test_tensorflow_data_is_kerastorch_data(keras_hook):
    import tensorflow as tf
    import tensorflow.data

    import kerastorch.data
    assert tf.data is kerastorch.data and tensorflow.data is kerastorch.data
    assert tf.data.Dataset is kerastorch.data.Dataset and tf.data.AUTOTUNE == kerastorch.data.AUTOTUNE


def test_tensorflow_submodule_other_than_keras_raises_import_error_naming_it(keras_hook):
    with pytest.raises(ImportError, match=r"tensorflow\.io is not available: kerastorch provides only"):
        import tensorflow.io  # noqa: F401
    with pytest.raises(ImportError, match=r"tensorflow\.python is not available"):
        import tensorflow.python.keras  # noqa: F401


def test_tensorflow_stub_dunders_raise_attribute_error_for_probes(keras_hook):
    import importlib.util

    import tensorflow as tf

    assert getattr(tf, "__version__", None) is None
    # torch._dynamo records find_spec("tensorflow").origin as a directory to skip; the stub has none.
    assert importlib.util.find_spec("tensorflow").origin is None


def test_install_refuses_when_keras_is_already_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", types.ModuleType("keras"))
    with pytest.raises(RuntimeError, match="keras is already imported"):
        _porting.install()


def test_uninstall_forgets_the_keras_modules():
    _porting.install()
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

    _porting.uninstall()
    assert not [name for name in sys.modules if name.split(".")[0] in ("keras", "tensorflow")]
    assert not [finder for finder in sys.meta_path if isinstance(finder, _porting.KerasFinder)]


# Missing symbols.

def test_missing_attribute_error_names_the_keras_symbol():
    with pytest.raises(AttributeError, match=r"^keras\.layers\.Conv4D is not provided by kerastorch \(yet\)$"):
        missing_attribute("kerastorch.layers")("Conv4D")


def test_missing_attribute_dunders_raise_a_plain_attribute_error():
    module = types.ModuleType("kerastorch.probed")
    module.__getattr__ = missing_attribute("kerastorch.probed")

    assert getattr(module, "__wrapped__", None) is None
    with pytest.raises(AttributeError, match=r"^module 'kerastorch\.probed' has no attribute '__version__'$"):
        module.__version__


def test_from_import_of_a_missing_name_raises_import_error_naming_the_symbol(fake_package):
    with pytest.raises(ImportError, match=r"cannot import name 'Missing' from 'ktfake': ktfake\.Missing is not "
                                          r"provided by kerastorch \(yet\)"):
        from ktfake import Missing  # noqa: F401
    with pytest.raises(ImportError, match=r"ktfake\.plain\.Missing is not provided by kerastorch"):
        from ktfake.plain import Missing  # noqa: F401,F811


def test_from_keras_import_of_a_missing_name_names_the_keras_symbol(keras_hook, monkeypatch):
    monkeypatch.setattr(kerastorch.layers, "__getattr__", missing_attribute("kerastorch.layers"), raising=False)

    with pytest.raises(ImportError, match=r"keras\.layers\.Conv4D is not provided by kerastorch \(yet\)"):
        from keras.layers import Conv4D  # noqa: F401
    with pytest.raises(ImportError, match=r"keras\.layers\.Conv4D is not provided by kerastorch \(yet\)"):
        from tensorflow.keras.layers import Conv4D  # noqa: F401,F811


def test_missing_attribute_imports_a_submodule_on_first_access(fake_package):
    import ktfake

    assert ktfake.sub.VALUE == 1
    assert not hasattr(ktfake, "not_a_submodule")


# The command line.

def test_help_prints_usage_and_exits_0(capsys):
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: kerastorch run SCRIPT [ARGS...]")
    assert main(["run", "--help"]) == 0


@pytest.mark.parametrize("argv, problem", [
    ([], "missing command"),
    (["train"], "unknown command 'train'"),
    (["run"], "run needs a SCRIPT"),
])
def test_usage_error_prints_usage_and_exits_2(capsys, argv, problem):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: kerastorch run SCRIPT")
    assert err.rstrip().endswith(f"kerastorch: error: {problem}")


def test_run_of_a_missing_file_says_so_and_exits_2(capsys, tmp_path):
    assert main(["run", str(tmp_path / "absent.py")]) == 2
    assert "can't open file" in capsys.readouterr().err


def test_run_gives_the_script_what_python_gives_it(tmp_path):
    write_script(tmp_path / "sub" / "probe.py", '''\
        """The probe's docstring."""
        import json
        import sys

        print(json.dumps({
            "argv": sys.argv, "file": __file__, "path0": sys.path[0], "name": __name__, "doc": __doc__,
            "spec": repr(__spec__), "package": __package__,
            "main_is_this_module": sys.modules["__main__"].__dict__ is globals(),
        }))
        sys.exit(7)
    ''')
    # Through a symbolic link: __file__ keeps the path as given, sys.path[0] is the real directory.
    (tmp_path / "link.py").symlink_to(tmp_path / "sub" / "probe.py")
    under_python = run([sys.executable, "link.py", "a", "--flag"], cwd=tmp_path)
    under_kerastorch = run([sys.executable, "-m", "kerastorch", "run", "link.py", "a", "--flag"], cwd=tmp_path)

    assert under_python.returncode == under_kerastorch.returncode == 7, under_kerastorch.stderr
    assert json.loads(under_kerastorch.stdout) == json.loads(under_python.stdout)
    assert json.loads(under_kerastorch.stdout)["path0"] == str(tmp_path / "sub")


def test_uncaught_exception_prints_python_traceback_and_exits_1(tmp_path):
    write_script(tmp_path / "fails.py", '''\
        def fail():
            raise ValueError("first")

        try:
            fail()
        except ValueError:
            raise KeyError("second")
    ''')
    under_python = run([sys.executable, "fails.py"], cwd=tmp_path)
    under_kerastorch = run([sys.executable, "-m", "kerastorch", "run", "fails.py"], cwd=tmp_path)

    assert under_python.returncode == under_kerastorch.returncode == 1
    assert under_kerastorch.stderr == under_python.stderr
    assert "kerastorch" not in under_kerastorch.stderr


def test_run_resolves_keras_imports_in_the_script(tmp_path):
    write_script(tmp_path / "keras_program.py", '''\
        import sys

        import keras
        import keras.layers
        from keras import backend as K
        from tensorflow import keras as tf_keras
        import tensorflow.keras.layers
        import tensorflow as tf

        import kerastorch
        import kerastorch.backend
        import kerastorch.layers

        assert keras is kerastorch and tf_keras is kerastorch and tf.keras is kerastorch
        assert sys.modules["keras.layers"] is kerastorch.layers
        assert sys.modules["tensorflow.keras.layers"] is kerastorch.layers
        assert K is kerastorch.backend
        try:
            tf.Variable
        except ImportError as error:
            print(error)
    ''')
    console_script = Path(sys.executable).with_name("kerastorch")
    command = [str(console_script)] if console_script.exists() else [sys.executable, "-m", "kerastorch"]
    result = run(command + ["run", "keras_program.py"], cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tensorflow.Variable is not available: kerastorch provides only tensorflow.keras")


def test_run_trains_a_tf_data_program_from_an_image_directory(tmp_path):
    folder = tmp_path / "pictures"
    for label in ("a", "b"):
        (folder / label).mkdir(parents=True)
    write_script(tmp_path / "tf_data_program.py", '''\
        import numpy as np
        import tensorflow as tf
        from tensorflow import keras

        for i in range(8):
            label = "ab"[i % 2]
            keras.utils.save_img(f"pictures/{label}/{i}.png", np.full((6, 6, 3), 30 * i, dtype="uint8"),
                                 scale=False)
        train = keras.utils.image_dataset_from_directory("pictures", image_size=(6, 6), batch_size=4, seed=1,
                                                         verbose=False)
        train = train.map(lambda x, y: (x / 255.0, y)).cache().prefetch(tf.data.AUTOTUNE)
        model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit(train, epochs=2, verbose=0)
        print(len(history.history["loss"]), train.class_names, isinstance(train, tf.data.Dataset))
    ''')
    result = run([sys.executable, "-m", "kerastorch", "run", "tf_data_program.py"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("2 ['a', 'b'] True")
