"""The benchmark harness: a smoke run of the real harness (tiny workload, two implementations, one short epoch),
the workload definitions (every implementation builds the same function), the report and the README updater."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import report, workloads
from benchmarks.__main__ import main as bench_main
from benchmarks.impls import keras_api, torch_loop

REPO_ROOT = Path(__file__).resolve().parent.parent


def _load_readme_tool():
    spec = importlib.util.spec_from_file_location("update_readme_bench", REPO_ROOT / "tools" / "update_readme_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_harness_runs_tiny_for_kerastorch_and_torch_loop_and_skips_missing_keras(tmp_path):
    out = tmp_path / "bench"
    code = bench_main(["--workloads", "tiny", "--impls", "kerastorch,torch-loop,keras3-torch", "--samples", "200",
                       "--epochs", "1", "--repeats", "1", "--keras-python", str(tmp_path / "no-such-python"),
                       "--out", str(out)])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    runs = {run["impl"]: run for run in results["runs"]}
    for impl in ("kerastorch", "torch-loop"):
        assert runs[impl]["status"] == "ok", runs[impl].get("traceback")
        assert len(runs[impl]["epoch_times"]) == 1   # a timing was recorded (its value is not asserted)
        assert np.isfinite(runs[impl]["loss"]) and 0 <= runs[impl]["accuracy"] <= 1
        assert runs[impl]["peak_rss_mb"] > 0
    assert runs["keras3-torch"]["status"] == "skipped" and "--keras-python" in runs["keras3-torch"]["note"]
    assert results["machine"]["threads"] == 1 and results["machine"]["cores"]
    table = (out / "results.md").read_text()
    assert "| tiny | kerastorch |" in table and "| tiny | hand-written PyTorch loop |" in table
    assert "1.00x (baseline)" in table and "skipped" in table
    assert not (out / ".data").exists()


@pytest.mark.parametrize("name", ["tiny", "cnn", "lstm", "transformer"])
def test_torch_loop_model_computes_the_kerastorch_model_from_the_shared_weights(name):
    import kerastorch
    workload = workloads.get(name)
    data = workloads.make_data(workload, 8)
    weights = workloads.initial_weights(workload)
    keras_model, _ = keras_api.build_model(kerastorch, workload)
    keras_model.set_weights(weights)
    expected = keras_model.predict(data["x"], verbose=0)
    torch_model = torch_loop.build_model(workload)
    torch_loop.load_keras_weights(torch_model, workload, weights)
    torch_model.eval()
    x = torch.from_numpy(data["x"])
    if x.dim() == 4:
        x = x.permute(0, 3, 1, 2)
    with torch.no_grad():
        logits = torch_model(x)
    got = torch.sigmoid(logits) if workload.loss == "binary_crossentropy" else torch.softmax(logits, dim=1)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)


def test_resnet_workload_builds_in_kerastorch_and_torch():
    import kerastorch
    workload = workloads.get("resnet-gpu")
    x = workloads.make_data(workload, 2)["x"]
    keras_model, source = keras_api.build_model(kerastorch, workload)
    assert "functional" in source
    assert keras_model.predict(x, verbose=0).shape == (2, 10)
    torch_model = torch_loop.build_model(workload).eval()
    with torch.no_grad():
        assert torch_model(torch.from_numpy(x).permute(0, 3, 1, 2)).shape == (2, 10)


def test_layer_input_shapes_follow_valid_convolutions_and_pooling():
    shapes = workloads.layer_input_shapes(workloads.get("cnn"))
    # 28 -conv3-> 26 -pool2-> 13 -conv3-> 11 -pool2-> 5; Flatten gives 5 * 5 * 64.
    assert shapes == [(28, 28, 1), (26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,)]


def test_sequence_layer_input_shapes_follow_embedding_lstm_and_pooling():
    assert workloads.layer_input_shapes(workloads.get("lstm")) == [(200,), (200, 128), (64,)]
    assert workloads.layer_input_shapes(workloads.get("transformer")) == [(200,), (200, 32), (200, 32), (32,)]


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_token_data_is_deterministic_and_its_label_shows_in_its_sentiment_words(name):
    workload = workloads.get(name)
    first, second = workloads.make_data(workload, 200), workloads.make_data(workload, 200)
    np.testing.assert_array_equal(first["x"], second["x"])
    x, y = first["x"], first["y"].reshape(-1)
    assert x.dtype == np.int32 and x.shape == (200, 200) and x.min() >= 1 and x.max() < workload.vocab
    words_of_label_1 = ((x > 50) & (x <= 100)).sum(axis=1)
    agreement = np.mean((words_of_label_1 >= 10) == (y == 1))
    assert 0.9 < agreement < 1.0   # 5% of the labels are redrawn


def test_sequence_initial_weights_have_keras_shapes_in_get_weights_order():
    shapes = [w.shape for w in workloads.initial_weights(workloads.get("lstm"))]
    assert shapes == [(20000, 128), (128, 256), (64, 256), (256,), (64, 1), (1,)]
    shapes = [w.shape for w in workloads.initial_weights(workloads.get("transformer"))]
    assert shapes[:4] == [(20000, 32), (200, 32), (32, 2, 32), (2, 32)] and shapes[8] == (2, 32, 32)
    assert len(shapes) == 2 + 16 + 2


def test_tutorial_data_is_deterministic_and_labelled_by_age():
    workload = workloads.get("tiny")
    first, second = workloads.make_data(workload, 1000), workloads.make_data(workload, 1000)
    np.testing.assert_array_equal(first["x"], second["x"])
    older = first["x"][:, 0] >= (65 - 13) / (100 - 13) - 1e-6
    agreement = np.mean(first["y"] == older)
    assert first["x"].dtype == np.float32 and 0.9 < agreement < 1.0


def _fake_results(times):
    """A results dict with one fit workload, in the harness's schema, from {impl: [seconds per run]}."""
    runs = [{"workload": "tiny", "impl": impl, "status": "ok", "seconds": seconds, "cpu_seconds": seconds / 2,
             "loss": 0.5, "accuracy": 0.75, "peak_rss_mb": 100.0}
            for impl, values in times.items() for seconds in values]
    runs.append({"workload": "tiny", "impl": "tf-keras", "status": "skipped", "note": "skipped: no tensorflow"})
    results = {"date": "2000-01-01 00:00 UTC",
               "machine": {"cpu": "Test CPU", "cores": 2, "threads": 1, "gpu": None, "torch": "0"},
               "settings": {"quick": False, "repeats": 3, "impls": list(times) + ["tf-keras"]},
               "workloads": [{"name": "tiny", "description": "d", "task": "fit", "unit": "s/epoch",
                              "baseline": "torch-loop", "samples": 10, "batch_size": 2, "epochs": 3, "calls": None,
                              "shared_init": True, "mixed_precision": False}],
               "versions": {}, "runs": runs, "notes": []}
    results["summary"] = report.summarize(results)
    return results


def test_summary_gives_median_range_and_ratio_to_the_hand_written_loop():
    results = _fake_results({"kerastorch": [1.0, 3.0, 2.0], "torch-loop": [4.0, 5.0, 6.0]})
    rows = {row["impl"]: row for row in results["summary"]}
    assert (rows["kerastorch"]["median"], rows["kerastorch"]["min"], rows["kerastorch"]["max"]) == (2.0, 1.0, 3.0)
    assert rows["kerastorch"]["ratio"] == pytest.approx(2.0 / 5.0)
    assert rows["kerastorch"]["cpu_median"] == 1.0 and rows["kerastorch"]["cpu_ratio"] == pytest.approx(1.0 / 2.5)
    assert rows["torch-loop"]["ratio"] == pytest.approx(1.0)
    assert rows["tf-keras"]["median"] is None and rows["tf-keras"]["note"].startswith("skipped")
    table = report.markdown_table(results)
    assert "| tiny | kerastorch | 2.000 s/epoch (1.000–3.000) | 0.40x | 0.40x |" in table


def test_readme_section_is_appended_once_then_replaced_in_place(tmp_path):
    tool = _load_readme_tool()
    results = _fake_results({"kerastorch": [1.0], "torch-loop": [2.0]})
    results_path = tmp_path / "results.json"
    results_path.write_text(json.dumps(results))
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\nIntro text.\n")
    tool.main([str(results_path), "--readme", str(readme)])
    first = readme.read_text()
    assert first.startswith("# Title\n\nIntro text.\n\n" + report.README_START)
    assert first.rstrip().endswith(report.README_END) and "0.50x" in first
    readme.write_text(first + "\nAfter the section.\n")
    results = _fake_results({"kerastorch": [3.0], "torch-loop": [2.0]})
    results_path.write_text(json.dumps(results))
    tool.main([str(results_path), "--readme", str(readme)])
    second = readme.read_text()
    assert second.count(report.README_START) == 1 and "1.50x" in second and "0.50x" not in second
    assert second.startswith("# Title\n\nIntro text.\n") and second.endswith("\nAfter the section.\n")


def test_readme_tool_refuses_a_lone_marker():
    tool = _load_readme_tool()
    with pytest.raises(ValueError, match="one benchmark marker"):
        tool.updated_readme("text\n" + report.README_START + "\n", "section")


def test_readme_section_shows_an_extra_run_after_the_main_table(tmp_path):
    tool = _load_readme_tool()
    main_path, extra_path = tmp_path / "main.json", tmp_path / "two-threads.json"
    main_path.write_text(json.dumps(_fake_results({"kerastorch": [1.0], "torch-loop": [2.0]})))
    extra = _fake_results({"kerastorch": [1.0], "torch-loop": [4.0]})
    extra["machine"]["threads"] = 2
    extra_path.write_text(json.dumps(extra))
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    tool.main([str(main_path), "--extra", str(extra_path), "--readme", str(readme)])
    text = readme.read_text()
    assert text.index("0.50x") < text.index("at 2 compute threads") < text.index("0.25x")
    assert f"--extra {extra_path}" in text


def test_input_pipeline_child_trains_one_epoch_from_png_files(tmp_path):
    from benchmarks import input_pipeline
    input_pipeline.write_images(str(tmp_path), 16)
    result = input_pipeline.child("kerastorch", str(tmp_path), epochs=1, threads=1)
    assert result["images"] == 16 and len(result["images_per_second"]) == 1
    assert 0 <= result["accuracy"] <= 1
