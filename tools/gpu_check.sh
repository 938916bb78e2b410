#!/bin/bash
# GPU smoke check for kerastorch: one run of under 5 minutes on one GPU machine.
#
#   bash gpu_check.sh                 # from a kerastorch checkout's root (or KT_ROOT=/path/to/checkout)
#   The checkout's copy of /work/shared/gpu_check.sh, kept working with the code: training/process.py replaced
#   training/cpu_memory.py (the malloc tuning is counted by wrapping it), and the pytest list has the CUDA tests of
#   Embedding's deferred range check and of optimizer slots following a moved model.
#
# Checks, each printed as one JSON line and summarised in a table at the end:
#   env          torch/CUDA versions, GPU name, TF32 flags
#   pytest_cuda  the repository's own CUDA tests (tests/... -k cuda), which are skipped on a CPU machine
#   fit_mlp / fit_cnn          fit on CUDA: weights and batches on the GPU, loss goes down, s/epoch
#   cpu_paths_unused           the fused C conv+pool kernel and the glibc malloc tuning stay off for CUDA models
#   host_syncs                 torch.cuda.set_sync_debug_mode('warn') over a warm fit: syncs per step
#   mixed_float16 / mixed_bfloat16   fit under each policy: activation dtype, loss finite, optimizer type
#   jit_compile_mlp / _cnn     compile(jit_compile=True) loss vs eager from the same weights
#   vgg16_predict              VGG16(weights=None) predict on 32x224x224x3 vs torchvision's vgg16
#   speed_mlp / speed_cnn      kerastorch fit vs a hand-written torch loop on the same GPU (ratio > 1: slower)
#   pinned_batches             the "too big for the GPU" path: are shuffled batches still pinned memory?
#   move_after_fit             fit on CPU, model.to('cuda'), fit again: optimizer slots / metric state devices
#   device_api                 kerastorch.device('cuda:0'/'gpu:0'), KERAS_TORCH_DEVICE vs KERASTORCH_DEVICE
#   cpu_vs_cuda_parity         one epoch of the mlp/cnn from the same weights on CPU and CUDA: loss difference
# Output: $OUT/gpu_check.jsonl (or ./gpu_check_out/) and the table on stdout.
# GPU_CHECK_ALLOW_CPU=1 runs the same code on the CPU with tiny sizes (to test this script without a GPU).
set -u
KT_ROOT=${KT_ROOT:-$(pwd)}
PY=${PY:-python3}
OUTDIR=${OUT:-$(pwd)/gpu_check_out}
mkdir -p "$OUTDIR"
export PYTHONPATH="$KT_ROOT${PYTHONPATH:+:$PYTHONPATH}" KT_ROOT OUTDIR
cd "$KT_ROOT" || exit 2
[ -d kerastorch ] || { echo "KT_ROOT=$KT_ROOT has no kerastorch/ package"; exit 2; }
nvidia-smi -L 2>/dev/null | head -2

if [ "${GPU_CHECK_ALLOW_CPU:-0}" != "1" ]; then
  echo "== pytest (CUDA tests of the repository)"
  timeout 120 "$PY" -m pytest -q -p no:cacheprovider -k cuda \
    tests/training/test_devices.py tests/training/test_data.py tests/losses/test_losses.py \
    tests/optimizers/test_optimizer_api.py tests/layers/test_embedding.py tests/optimizers/test_optimizer_devices.py \
    tests/test_backend_devices.py 2>&1 | tail -4 | tee "$OUTDIR/pytest_cuda.txt"
fi

timeout 270 "$PY" - <<'PYEOF'
import json, math, os, sys, time, traceback, warnings
import numpy as np
import torch

OUT = os.path.join(os.environ["OUTDIR"], "gpu_check.jsonl")
CPU_DRY = os.environ.get("GPU_CHECK_ALLOW_CPU") == "1"
CUDA = torch.cuda.is_available()
if not CUDA and not CPU_DRY:
    print("no CUDA device: set GPU_CHECK_ALLOW_CPU=1 for a dry run on the CPU"); sys.exit(3)
DEV = "cuda" if CUDA else "cpu"
S = 0.05 if CPU_DRY else 1.0          # data-size scale
rows = []
open(OUT, "w").close()


def sync():
    if CUDA:
        torch.cuda.synchronize()


def record(name, fn):
    t0 = time.time()
    try:
        row = {"check": name, "ok": True, **(fn() or {})}
    except Exception as e:  # noqa: BLE001
        row = {"check": name, "ok": False, "error": f"{type(e).__name__}: {str(e)[:300]}",
               "where": [l.strip() for l in traceback.format_exc().splitlines() if l.strip().startswith("File")][-2:]}
    row["s"] = round(time.time() - t0, 1)
    rows.append(row)
    print(json.dumps(row), flush=True)
    with open(OUT, "a") as f:
        f.write(json.dumps(row) + "\n")


import kerastorch as keras  # noqa: E402
from kerastorch import layers  # noqa: E402
from kerastorch.layers import _conv_pool_kernel  # noqa: E402
from kerastorch.training import process as cpu_process  # noqa: E402

fused_calls = []
_orig_fused = _conv_pool_kernel.ConvPool.forward
_conv_pool_kernel.ConvPool.forward = staticmethod(lambda ctx, *a: (fused_calls.append(1), _orig_fused(ctx, *a))[1])
malloc_tuning_entries = []   # fits that entered the CPU malloc tuning (training/process.py), as fused_calls counts
_orig_keep = cpu_process.keep_freed_memory_while_training
cpu_process.keep_freed_memory_while_training = lambda: (malloc_tuning_entries.append(1), _orig_keep())[1]


def data(kind, n, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        protos = rng.normal(size=(10, 784)).astype("float32")
        y = rng.integers(0, 10, n)
        return (protos[y] + rng.normal(scale=2.0, size=(n, 784))).astype("float32"), y
    y = rng.integers(0, 10, n)
    x = rng.random((n, 28, 28, 1), dtype=np.float32) * 0.2
    for c in range(10):   # a class-dependent bright row
        x[y == c, 2 + 2 * c, :, 0] += 0.8
    return x, y


def build(kind, out_dtype=None):
    if kind == "mlp":
        return keras.Sequential([keras.Input((784,)), layers.Dense(256, activation="relu"),
                                 layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax",
                                                                                    dtype=out_dtype)])
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                             layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                             layers.Dense(10, activation="softmax", dtype=out_dtype)])


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        sync(); self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        sync(); self.times = getattr(self, "times", []) + [time.perf_counter() - self.t0]


def fit(kind, n, bs, epochs, weights=None, jit=False, shuffle=True):
    keras.backend.clear_session(); keras.utils.set_random_seed(0)
    m = build(kind)
    if weights is not None:
        m.set_weights(weights)
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
              jit_compile=jit)
    x, y = data(kind, n)
    timer = EpochTimer()
    h = m.fit(x, y, batch_size=bs, epochs=epochs, verbose=0, shuffle=shuffle, callbacks=[timer])
    return m, h.history, timer.times


def check_env():
    return {"torch": torch.__version__, "cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name(0) if CUDA
            else "none (CPU dry run)", "matmul_tf32": torch.backends.cuda.matmul.allow_tf32,
            "cudnn_tf32": torch.backends.cudnn.allow_tf32, "default_device": str(keras.backend.device())}


def check_fit(kind):
    def run():
        m, hist, times = fit(kind, int((20000 if kind == "mlp" else 8192) * S), 256, 3)
        dev = {str(w.device) for w in m.weights}
        assert all(d.startswith(DEV) for d in dev), dev
        assert hist["loss"][-1] < hist["loss"][0], hist["loss"]
        return {"weights_on": sorted(dev), "loss": [round(v, 4) for v in hist["loss"]],
                "acc": round(hist["accuracy"][-1], 4), "s_per_epoch": [round(t, 3) for t in times]}
    return run


def check_cpu_paths():
    return {"fused_conv_pool_calls_during_cuda_fits": len(fused_calls),
            "malloc_tuning_applied": bool(malloc_tuning_entries),
            "expect": "0 and False on CUDA"}


def check_host_syncs():
    if not CUDA:
        return {"skipped": "CPU"}
    keras.backend.clear_session(); keras.utils.set_random_seed(0)
    m = build("mlp")
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data("mlp", 8192)
    m.fit(x, y, batch_size=256, epochs=1, verbose=0)          # warm (first-batch checks, allocations)
    out = {}
    for verbose in (0, 1):
        torch.cuda.set_sync_debug_mode("warn")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                m.fit(x, y, batch_size=256, epochs=2, verbose=verbose)
        finally:
            torch.cuda.set_sync_debug_mode("default")
        syncs = [str(w.message)[:80] for w in caught if "synchroniz" in str(w.message)]
        out[f"verbose{verbose}_syncs"] = len(syncs)
    out["steps"] = 2 * math.ceil(8192 / 256)
    return out


def check_mixed(policy):
    def run():
        keras.mixed_precision.set_global_policy(policy)
        try:
            keras.backend.clear_session(); keras.utils.set_random_seed(0)
            m = build("cnn", out_dtype="float32")
        finally:
            keras.mixed_precision.set_global_policy("float32")
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        x, y = data("cnn", int(4096 * S))
        h = m.fit(x, y, batch_size=256, epochs=2, verbose=0)
        hidden = m.layers[0](torch.from_numpy(x[:8]).to(DEV))
        assert all(np.isfinite(h.history["loss"])), h.history
        return {"optimizer": type(m.optimizer).__name__, "hidden_dtype": str(hidden.dtype),
                "kernel_dtype": str(m.layers[0].kernel.dtype), "loss": [round(v, 4) for v in h.history["loss"]],
                "loss_scale": getattr(m.optimizer, "dynamic_scale", None)}
    return run


def check_jit(kind):
    def run():
        keras.backend.clear_session(); keras.utils.set_random_seed(0)
        w = build(kind).get_weights()
        n = int((8192 if kind == "mlp" else 4096) * S)
        _, eager, te = fit(kind, n, 256, 2, weights=w, shuffle=False)
        _, jit, tj = fit(kind, n, 256, 2, weights=w, jit=True, shuffle=False)
        return {"eager_loss": [round(v, 5) for v in eager["loss"]], "jit_loss": [round(v, 5) for v in jit["loss"]],
                "max_abs_diff": max(abs(a - b) for a, b in zip(eager["loss"], jit["loss"])),
                "eager_s_epoch2": round(te[-1], 3), "jit_s_epoch2": round(tj[-1], 3)}
    return run


def timed(fn, calls):
    fn(); sync()
    t = []
    for _ in range(calls):
        t0 = time.perf_counter(); fn(); sync(); t.append(time.perf_counter() - t0)
    return float(np.median(t))


def check_vgg16():
    import torchvision
    n, side = (32, 224) if not CPU_DRY else (2, 64)
    keras.backend.clear_session(); keras.utils.set_random_seed(0)
    m = keras.applications.VGG16(weights=None, input_shape=(side, side, 3), include_top=not CPU_DRY)
    x = np.random.default_rng(0).random((n, side, side, 3), dtype=np.float32) * 255
    kt = timed(lambda: m.predict(x, batch_size=n, verbose=0), 3)
    tv = torchvision.models.vgg16(weights=None).to(DEV).eval()
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(DEV)

    def tv_predict():
        with torch.inference_mode():
            return torch.softmax(tv(xt), -1).cpu().numpy() if not CPU_DRY else tv.features(xt).cpu().numpy()
    tt = timed(tv_predict, 3)
    return {"weights_on": sorted({str(w.device) for w in m.weights}), "kerastorch_s": round(kt, 4),
            "torchvision_s": round(tt, 4), "ratio": round(kt / tt, 2)}


def torch_loop(kind, n, bs, epochs):
    from torch import nn
    torch.manual_seed(0)
    x, y = data(kind, n)
    X = torch.from_numpy(x).to(DEV)
    if kind == "cnn":
        X = X.permute(0, 3, 1, 2).contiguous()
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 10))
    else:
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    net = net.to(DEV)
    Y = torch.from_numpy(y).to(DEV)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        sync(); t0 = time.perf_counter()
        perm = torch.randperm(n, device=DEV)
        running = 0.0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            loss = loss_fn(net(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            running += loss.item()
        sync(); times.append(time.perf_counter() - t0)
    return times


def check_speed(kind):
    def run():
        n, bs = (int(60000 * S), 1024) if kind == "mlp" else (int(32768 * S), 512)
        _, _, kt = fit(kind, n, bs, 3)
        tl = torch_loop(kind, n, bs, 3)
        k, t = float(np.median(kt[1:])), float(np.median(tl[1:]))
        return {"kerastorch_s_epoch": round(k, 4), "torch_loop_s_epoch": round(t, 4), "ratio": round(k / t, 2),
                "samples": n, "batch": bs}
    return run


def check_pinned():
    if not CUDA:
        return {"skipped": "CPU"}
    a = torch.randn(1000, 8).pin_memory()
    idx = torch.randperm(1000)[:64]
    gathered_pinned = torch.index_select(a, 0, idx).is_pinned()
    # Force DataHandler's "does not fit" branch and fit through it.
    from kerastorch.training import data as data_module
    real = torch.cuda.mem_get_info
    torch.cuda.mem_get_info = lambda *a, **k: (1024, real()[1])
    try:
        keras.backend.clear_session(); keras.utils.set_random_seed(0)
        m = build("mlp"); m.compile("adam", "sparse_categorical_crossentropy")
        x, y = data("mlp", 4096)
        handler = data_module.DataHandler(x, y, batch_size=256, shuffle=True, device="cuda")
        arrays_pinned = handler.loader.dataset.arrays[0].is_pinned()
        h = m.fit(x, y, batch_size=256, epochs=1, verbose=0)
    finally:
        torch.cuda.mem_get_info = real
    return {"arrays_pinned": arrays_pinned, "shuffled_batch_pinned_before_copy": gathered_pinned,
            "fit_loss": round(h.history["loss"][0], 4)}


def check_move_after_fit():
    """Train on the CPU, then model.to('cuda') and train again: where do optimizer slots and metric state end up?"""
    if not CUDA:
        return {"skipped": "CPU"}
    keras.backend.clear_session(); keras.utils.set_random_seed(0)
    with keras.device("cpu"):
        m = build("mlp")
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data("mlp", 2048)
    m.fit(x, y, batch_size=256, epochs=1, verbose=0)
    m.to("cuda")
    out = {}
    try:
        h = m.fit(x, y, batch_size=256, epochs=1, verbose=0)
        out["second_fit_loss"] = round(h.history["loss"][0], 4)
    except Exception as e:  # noqa: BLE001
        out["second_fit"] = f"FAILED {type(e).__name__}: {str(e)[:200]}"
    out["weights_on"] = sorted({str(w.device) for w in m.weights})
    out["optimizer_state_on"] = sorted({str(v.device) for v in m.optimizer.variables if isinstance(v, torch.Tensor)})
    out["metrics_on"] = sorted({str(mm.device) for mm in m.metrics if hasattr(mm, "device")})
    return out


def check_device_api():
    out = {}
    for spelling in ("cuda:0", "gpu:0", "cpu"):
        try:
            with keras.device(spelling):
                m = build("mlp")
            out[spelling] = sorted({str(w.device) for w in m.weights})
        except Exception as e:  # noqa: BLE001
            out[spelling] = f"FAILED {type(e).__name__}: {str(e)[:120]}"
    for var in ("KERAS_TORCH_DEVICE", "KERASTORCH_DEVICE"):
        os.environ[var] = "cpu"
        try:
            out[f"{var}=cpu"] = sorted({str(w.device) for w in build("mlp").weights})
        finally:
            del os.environ[var]
    with keras.device("cpu"):
        m = build("mlp")
    m.compile("adam", "sparse_categorical_crossentropy")
    x, y = data("mlp", 512)
    out["cpu_model_fit_while_cuda_default"] = round(m.fit(x, y, epochs=1, verbose=0).history["loss"][0], 4)
    return out


def check_parity():
    out = {}
    for kind in ("mlp", "cnn"):
        keras.backend.clear_session(); keras.utils.set_random_seed(0)
        w = build(kind).get_weights()
        res = {}
        for dev in ("cpu", DEV):
            with keras.device(dev):
                _, h, _ = fit(kind, int(4096 * S), 256, 1, weights=w, shuffle=False)
            res[dev] = h["loss"][0]
        out[kind] = {"cpu": round(res["cpu"], 6), DEV: round(res[DEV], 6), "abs_diff": abs(res["cpu"] - res[DEV])}
    return out


record("env", check_env)
record("fit_mlp", check_fit("mlp"))
record("fit_cnn", check_fit("cnn"))
record("host_syncs", check_host_syncs)
record("mixed_float16", check_mixed("mixed_float16"))
record("mixed_bfloat16", check_mixed("mixed_bfloat16"))
record("jit_compile_mlp", check_jit("mlp"))
record("jit_compile_cnn", check_jit("cnn"))
record("speed_mlp", check_speed("mlp"))
record("speed_cnn", check_speed("cnn"))
record("vgg16_predict", check_vgg16)
record("cpu_paths_unused", check_cpu_paths)   # before anything runs on the CPU on purpose
record("pinned_batches", check_pinned)
record("move_after_fit", check_move_after_fit)
record("device_api", check_device_api)
record("cpu_vs_cuda_parity", check_parity)

print("\n| check | ok | key numbers |\n|---|---|---|")
for r in rows:
    keys = {k: v for k, v in r.items() if k not in ("check", "ok", "where")}
    print(f"| {r['check']} | {'ok' if r['ok'] else 'FAIL'} | {json.dumps(keys)[:230]} |")
PYEOF
echo "python rc=$?"
