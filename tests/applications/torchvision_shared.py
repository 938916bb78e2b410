"""A torchvision model with every parameter and statistic drawn at random (so that a wrong mapping shows), saved
as a state dict file, for the tests that prove an application is torchvision's network."""
import numpy as np
import torch


def randomized_state_dict_file(model, path, seed=0):
    """Fill ``model``'s parameters and batch-norm statistics with seeded values of order one, save its state dict
    to ``path`` and return the model, in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith("running_var"):
                tensor.copy_(1.0 + 0.1 * torch.rand(tensor.shape, generator=generator))
            elif tensor.dim() >= 2:
                fan_in = int(np.prod(tensor.shape[1:]))
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / np.sqrt(fan_in))
            elif name.endswith(("weight", "layer_scale")) and "running" not in name:
                tensor.copy_(1.0 + 0.1 * (torch.rand(tensor.shape, generator=generator) - 0.5))
            else:
                tensor.copy_(0.05 * torch.randn(tensor.shape, generator=generator))
    torch.save(model.state_dict(), path)
    return model.eval()


def torch_predict(model, images_nhwc):
    with torch.inference_mode():
        return model(torch.from_numpy(images_nhwc).permute(0, 3, 1, 2).contiguous()).numpy()
