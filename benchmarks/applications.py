"""The applications benchmark: kerastorch's ResNet50 predict against torchvision's resnet50, side by side.

    python -m benchmarks.applications [--batch 8] [--repeats 7] [--threads 1] [--out benchmarks/results/applications.json]

Both networks are ResNet50 v1 with random weights, on the same batch of 224x224 images: kerastorch's takes them
NHWC through ``model.predict(x, batch_size=batch)`` (the trainer's predict loop and its execution plan, which
folds each batch normalization into its convolution), torchvision's NCHW through ``model(x)`` under
``torch.inference_mode()`` (and once more in torch's channels_last memory format). kerastorch's plain call
``model(x)`` (no execution plan) is timed too. Keras's ResNet50 strides each stage's first 1x1 convolution where
torchvision strides the 3x3 one, so Keras's runs its first 1x1 convolution of those blocks on a quarter of the
positions: slightly fewer multiply-adds for the same weights count (plus the biases).

Each repetition times one batch of every variant in turn (interleaved, after two warm-up calls each); reported
is the median over ``--repeats``, and kerastorch's predict time over torchvision's.
"""
import argparse
import json
import os
import statistics
import time


def run(batch, repeats, threads):
    import numpy as np
    import torch
    import torchvision
    torch.set_num_threads(threads)
    import kerastorch as keras

    keras.utils.set_random_seed(0)
    ours = keras.applications.ResNet50(weights=None)
    theirs = torchvision.models.resnet50(weights=None).eval()
    theirs_channels_last = torchvision.models.resnet50(weights=None).eval().to(memory_format=torch.channels_last)
    images = np.random.RandomState(0).uniform(0, 1, (batch, 224, 224, 3)).astype("float32")
    nhwc = torch.from_numpy(images)
    nchw = nhwc.permute(0, 3, 1, 2).contiguous()
    nchw_channels_last = nchw.contiguous(memory_format=torch.channels_last)

    def torch_call(model, x):
        def call():
            with torch.inference_mode():
                model(x)
        return call

    variants = {
        "kerastorch_predict": lambda: ours.predict(images, batch_size=batch, verbose=0),
        "kerastorch_call": torch_call(ours, nhwc),
        "torchvision": torch_call(theirs, nchw),
        "torchvision_channels_last": torch_call(theirs_channels_last, nchw_channels_last),
    }
    for call in variants.values():
        call()
        call()
    seconds = {name: [] for name in variants}
    for _ in range(repeats):
        for name, call in variants.items():
            start = time.perf_counter()
            call()
            seconds[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    return {
        "workload": f"ResNet50 predict, batch {batch}, 224x224x3, float32, CPU",
        "batch": batch, "threads": threads, "repeats": repeats, "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "median_seconds": median,
        "images_per_second": {name: batch / value for name, value in median.items()},
        "ratio_kerastorch_predict_to_torchvision": median["kerastorch_predict"] / median["torchvision"],
        "ratio_kerastorch_predict_to_torchvision_channels_last":
            median["kerastorch_predict"] / median["torchvision_channels_last"],
        "ratio_kerastorch_call_to_torchvision": median["kerastorch_call"] / median["torchvision"],
        "seconds": seconds,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "applications.json"))
    args = parser.parse_args(argv)
    result = run(args.batch, args.repeats, args.threads)
    with open(args.out, "w") as file:
        json.dump(result, file, indent=1)
    for name, value in result["median_seconds"].items():
        print(f"{name:28s} {value * 1000:8.1f} ms  {result['images_per_second'][name]:6.1f} images/s")
    print(f"kerastorch predict / torchvision: {result['ratio_kerastorch_predict_to_torchvision']:.2f}x")


if __name__ == "__main__":
    main()
