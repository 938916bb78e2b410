"""The convnet of examples/convnet.py trained with mixed precision: float32 weights, half-precision maths.

On a CUDA GPU the policy is "mixed_float16" (tensor cores; `compile` wraps Adam in a LossScaleOptimizer so that
small float16 gradients do not underflow); on the CPU it is "mixed_bfloat16" (bfloat16 has float32's range, so no
loss scaling). The last layer is kept in float32, as Keras's mixed precision guide recommends, so the softmax and
the loss see float32. It learns as the float32 convnet does (full run, CPU: test accuracy 0.992 for both); the
speed-up is a GPU's: on a CPU without bfloat16 instructions (no AVX512-BF16 or AMX) a step takes about twice as
long as in float32.

Run it with `python examples/mixed_precision.py`. KERASTORCH_EXAMPLE_QUICK=1 trains on fewer images for fewer
epochs.
"""
import os

import torch

import kerastorch as keras
from convnet import FULL_RUN, QUICK_RUN, build_model
from stroke_shapes import load_data


def main():
    run = QUICK_RUN if os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1" else FULL_RUN
    keras.utils.set_random_seed(0)
    (train_x, train_labels), (test_x, test_labels) = load_data(run["train_images"], run["test_images"])

    on_gpu = keras.backend.device().type == "cuda" and torch.cuda.is_available()
    keras.mixed_precision.set_global_policy("mixed_float16" if on_gpu else "mixed_bfloat16")
    model = build_model(output_dtype="float32")
    keras.mixed_precision.set_global_policy("float32")   # layers made from here on are full precision again
    print(f"policy: {model.dtype_policy.name}; first convolution computes in {model.layers[0].compute_dtype}, "
          f"keeps its kernel in {model.layers[0].kernel.dtype}; the output layer computes in "
          f"{model.layers[-1].compute_dtype}")

    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    print(f"optimizer: {type(model.optimizer).__name__}")
    model.fit(train_x, train_labels, batch_size=128, epochs=run["epochs"], validation_split=0.1, verbose=2)

    loss, accuracy = model.evaluate(test_x, test_labels, verbose=0)
    print(f"test loss: {loss:.4f} - test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
