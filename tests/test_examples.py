"""Every example in examples/ runs to the end and prints what it promises."""
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
EXPECTED_OUTPUT = {
    "tutorial_demo.py": "test accuracy:",
    "regularized_classifier.py": "weight penalty now:",
    "validation_and_predict.py": "agreement with the held-out labels:",
    "convnet.py": "test accuracy:",
    "mixed_precision.py": "test accuracy:",
    "finetune_vgg16.py": "accuracy after fine-tuning block5:",
    "visualize_filters.py": "wrote stitched_filters_2x2.png",
    "sentiment_bilstm.py": "test accuracy:",
    "char_text_generation.py": "words of the grammar:",
    "distributed_mnist.py": "test accuracy:",
    "transfer_learning_applications.py": "resnet50: accuracy after fine-tuning the top block:",
}


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(script, tmp_path):
    env = dict(os.environ, KERASTORCH_DEVICE="cpu", KERASTORCH_EXAMPLE_QUICK="1")
    result = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert EXPECTED_OUTPUT.get(script, "") in result.stdout
