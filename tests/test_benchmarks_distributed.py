"""benchmarks/distributed.py: the rank's script (run here as one process) and the numbers it reports."""
import numpy as np

from benchmarks import distributed, workloads


def test_child_fits_the_mlp_workload_from_the_shared_files(tmp_path):
    workload = workloads.get("mlp")
    data, init = tmp_path / "data.npz", tmp_path / "init.npz"
    np.savez(data, **workloads.make_data(workload, 256))
    np.savez(init, **{f"w{i}": w for i, w in enumerate(workloads.initial_weights(workload))})
    result = distributed.child(str(data), str(init), epochs=2, threads=1)
    assert result["samples"] == 256 and result["batch_size"] == 128 and result["world_size"] == 1
    assert np.isfinite(result["loss"]) and 0.0 <= result["accuracy"] <= 1.0


def test_summary_takes_medians_per_process_count_and_their_ratio():
    runs = [{"processes": 1, "status": "ok", "samples_per_second": rate} for rate in (100.0, 300.0, 200.0)]
    runs += [{"processes": 2, "status": "ok", "samples_per_second": 300.0}, {"processes": 2, "status": "failed"}]
    summary = distributed._summary(runs, [1, 2])
    assert summary["1"] == {"samples_per_second": 200.0, "runs": 3}
    assert summary["2"] == {"samples_per_second": 300.0, "runs": 1}
    assert summary["speedup_2_over_1"] == 1.5
