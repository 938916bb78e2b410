"""torchvision's model for predict workloads (``vgg16-predict``): the forward pass in inference mode on NCHW
input, returning numpy as Keras's predict does, so both sides pay for the same output copy."""
import time

import torch


def run(workload, data, weights, options):
    import torchvision
    torch.set_num_threads(options["threads"])
    torch.manual_seed(options["seed"])
    if workload.application != "VGG16":
        raise ValueError(f"torchvision runs only the VGG16 workloads, not {workload.name!r}")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = torchvision.models.vgg16(weights=None, num_classes=workload.classes).eval().to(device)
    x = torch.from_numpy(data["x"]).permute(0, 3, 1, 2).contiguous()   # NHWC -> NCHW, once, not timed

    def predict():
        with torch.inference_mode():
            out = torch.softmax(model(x.to(device)), dim=1).cpu().numpy()
        return out

    start = time.perf_counter()
    predict()
    warmup = time.perf_counter() - start
    times, cpu_times = [], []
    for _ in range(options["calls"]):
        start, cpu_start = time.perf_counter(), time.process_time()
        out = predict()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    return {"call_times": times, "call_cpu_times": cpu_times, "warmup_time": warmup, "output_shape": list(out.shape),
            "params": sum(p.numel() for p in model.parameters()),
            "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__},
            "model_source": "torchvision.models.vgg16(weights=None)"}
