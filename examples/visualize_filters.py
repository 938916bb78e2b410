"""Seed s08 in kerastorch's words: which input image makes a VGG16 filter fire?

Gradient ascent on the input image: start from a noisy gray image and repeatedly step along the gradient of one
filter's mean activation with respect to the image (torch autograd computes it). `visualize_filters` does this
for several filters at once, one image per filter in a single batch, and stitches the results into one picture,
which `keras.utils.save_img` writes as a PNG.

    python examples/visualize_filters.py [--weights imagenet|PATH] [--layer block5_conv1] [--filters 4]

Without `--weights` the network has random weights (no download needed); its filters then respond to fine,
noisy textures. With ImageNet weights (`--weights imagenet`, which needs Keras's or torchvision's file on this
machine or a network connection) the filters show the patterns they learned. KERASTORCH_EXAMPLE_QUICK=1 runs
fewer steps.
"""
import argparse
import os

import kerastorch as keras
from kerastorch.utils.visualization import visualize_filters


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="None (random), 'imagenet', or a weights file")
    parser.add_argument("--layer", default="block5_conv1")
    parser.add_argument("--filters", type=int, default=4, help="how many filters (a square number fills the grid)")
    parser.add_argument("--size", type=int, default=64, help="image height and width")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", default=None, help="the PNG to write (default stitched_filters_NxN.png)")
    args = parser.parse_args()
    if os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1":
        args.steps = min(args.steps, 5)

    model = keras.applications.VGG16(weights=args.weights, include_top=False,
                                     input_shape=(args.size, args.size, 3))
    print(f"Model loaded ({model.count_params():,} weights); visualizing {args.filters} filters of {args.layer}.")
    grid = visualize_filters(model, args.layer, range(args.filters), steps=args.steps, step_size=10.0, seed=0)
    side = int(round(args.filters ** 0.5))
    out = args.out or f"stitched_filters_{side}x{side}.png"
    keras.utils.save_img(out, grid)
    print(f"wrote {out}: {grid.shape[1]}x{grid.shape[0]} pixels")


if __name__ == "__main__":
    main()
