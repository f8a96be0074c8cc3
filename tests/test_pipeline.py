"""The pipeline on tiny data through LocalDagRunner; a second run is fully cached."""

import io
import json
import os
import shutil

import numpy as np
import pytest
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from components.artifact_types import ColorizationReport, RealnessScores
from colordisc_tf.config import load_config
from colordisc_tf.data.demo_photos import write_demo_photos
from colordisc_tf.data.record_format import decode_lab_example
from colordisc_tf.evaluate.report import format_difference
from pipelines.colordisc_pipeline import create_pipeline
from pipelines.progress import component_progress
from pipelines.run_summary import latest_run_outputs, report_run

TINY = {
    "name": "colordisc-tiny",
    "demo_tile": 32,
    "beam_args": ["--direct_running_mode=in_memory", "--direct_num_workers=1"],
    "preprocess": {"size": 32, "eval_percent": 30},
    "generator": {"width": 0.0625, "crop_size": 32, "batch_size": 8, "steps": 20, "steps_per_epoch": 10,
                  "eval_batches": 1, "serving_size": 32},
    "discriminator": {"width": 8, "depth": 2, "crop_size": 24, "batch_size": 8, "steps": 20,
                      "steps_per_epoch": 10, "eval_batches": 2, "serving_size": 32},
    "worst_cases": 2,
    "finetune": {"steps": 10, "steps_per_epoch": 5, "batch_size": 8, "crop_size": 24, "discriminator_learning_rate": 4e-4},
    "blessing": {"retrain_discriminator_steps": 10, "retrain_discriminator_seeds": 2},
    "min_train_photos": 2,
    "min_eval_photos": 2,
}


def _store(root):
    return metadata_store.MetadataStore(metadata.sqlite_metadata_connection_config(str(root / "metadata.sqlite")))


def _latest(store, type_name):
    return max(store.get_artifacts_by_type(type_name), key=lambda a: a.id)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipe")
    photos = root / "photos"
    write_demo_photos(photos, tile=32, max_side=96, names=["astronaut", "coffee", "chelsea", "rocket"])
    config = load_config(overrides={**TINY, "data": [str(photos)], "pipeline_root": str(root),
                                    "serving_root": str(root / "saved_models"),
                                    "report_dir": str(root / "reports" / "latest")})
    logs = []
    for _ in range(2):  # the second run is served from the cache
        pipeline, stream = create_pipeline(config), io.StringIO()
        with component_progress(pipeline, stream) as progress:
            LocalDagRunner().run(pipeline)
        logs.append((stream.getvalue(), progress))
    executions = _store(root).get_executions()
    first = executions[:len(pipeline.components)]
    return root, config, first, executions[len(first):], logs


def test_first_run_completes_every_component(tiny_run):
    _, config, first, *_ = tiny_run
    assert len(first) == len(create_pipeline(config).components)
    assert {e.last_known_state for e in first} == {metadata_store_pb2.Execution.COMPLETE}


def test_second_run_is_fully_cached(tiny_run):
    _, _, first, second, _ = tiny_run
    assert len(second) == len(first)
    assert {e.last_known_state for e in second} == {metadata_store_pb2.Execution.CACHED}


def test_progress_names_each_component_n_of_n(tiny_run):
    _, config, _, _, logs = tiny_run
    names = [c.id for c in create_pipeline(config).components]
    (first_text, first), (second_text, second) = logs
    assert first.ran == names and first.from_cache == []
    assert second.ran == [] and second.from_cache == names
    for n, name in enumerate(names, 1):
        assert f"{n}/{len(names)} {name} running ..." in first_text
        assert f"{n}/{len(names)} {name} from cache" in second_text
    assert "property_predicate" not in first_text + second_text


def test_run_report_tells_what_the_run_made(tiny_run):
    root, config, *_ = tiny_run
    store = _store(root)
    shutil.rmtree(config.report_dir)  # a cached run must still leave the run's report there
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in report_run(config, demo=True)}
    assert os.path.samefile(lines["report"], os.path.join(config.report_dir, "index.html"))
    with open(os.path.join(_latest(store, RealnessScores.TYPE_NAME).uri, "report", "metrics.json")) as f:
        discriminator = json.load(f)
    error_ci, auc_ci = discriminator["error_ci"], discriminator["roc_auc_ci"]
    assert f"on {discriminator['images']} held-out photos: error {discriminator['error']:.1%} [{error_ci[0]:.1%}, {error_ci[1]:.1%}], " \
           f"ROC AUC {discriminator['roc_auc']:.3f} [{auc_ci[0]:.3f}, {auc_ci[1]:.3f}]" in lines["discriminator"]
    with open(os.path.join(_latest(store, ColorizationReport.TYPE_NAME).uri, "before_after.json")) as f:
        report = json.load(f)
    failures = report["sets"]["eval_failures"]
    (base_lo, base_hi), (tuned_lo, tuned_hi) = (failures[m]["detection_auc_retrained_ci"] for m in ("base", "finetuned"))
    assert f"{failures['base']['detection_auc_retrained']:.3f} [{base_lo:.3f}, {base_hi:.3f}] (base) -> " \
           f"{failures['finetuned']['detection_auc_retrained']:.3f} [{tuned_lo:.3f}, {tuned_hi:.3f}] (fine-tuned)" \
        in lines["fine-tuning"]
    # the verdict by paired intervals, named in the closing lines as in before_after.json
    assert report["outcome"] in ("blessed", "NOT blessed", "not enough evidence")
    assert report["blessed"] == (report["outcome"] == "blessed")
    assert lines["blessing"] == report["verdict"] and report["verdict"].startswith(report["outcome"] + ": ")
    raw = report["sets"]["eval_all"]["difference"]
    assert len(raw["auc_raw_ci"]) == 2
    assert f"raw AuC {format_difference('auc_raw', raw['auc_raw'], raw['auc_raw_ci'])}" in lines["Δ eval split"]
    assert {c["metric"] for c in report["checks"]} >= {"auc_raw", "detection_auc_retrained"}
    pushed = [p.strip() for p in lines["pushed"].split(",")]
    assert len(pushed) == 3 + int(report["blessed"])  # generator, discriminator, colorizer with realness (+ fine-tuned)
    for path in pushed:
        assert os.path.exists(os.path.join(path, "saved_model.pb")), path
    assert "not a real colorizer" in lines["note"] and lines["generator"].startswith("trained from scratch")


def test_colorized_records_keep_the_real_l(tiny_run):
    import tensorflow as tf

    root, *_ = tiny_run
    store = _store(root)
    examples = sorted(store.get_artifacts_by_type("Examples"), key=lambda a: a.id)
    real_uri, colorized_uri = examples[0].uri, examples[1].uri  # LabExampleGen's, then Colorize's
    for split in ("train", "eval"):
        def records(uri):
            files = tf.io.gfile.glob(os.path.join(uri, f"Split-{split}", "*"))
            return {r["id"]: r for r in (decode_lab_example(x.numpy()) for x in
                                         tf.data.TFRecordDataset(files, compression_type="GZIP"))}
        real, colorized = records(real_uri), records(colorized_uri)
        assert real.keys() == colorized.keys() and real
        for key in real:
            np.testing.assert_array_equal(real[key]["l_u8"], colorized[key]["l_u8"])
        assert any(not np.array_equal(real[k]["ab_i8"], colorized[k]["ab_i8"]) for k in real)


def test_generator_model_layout(tiny_run):
    root, *_ = tiny_run
    store = _store(root)
    generator, discriminator, finetuned, with_realness = sorted(store.get_artifacts_by_type("Model"),
                                                                key=lambda a: a.id)
    for model, keras_file in ((generator, "generator.keras"), (discriminator, "discriminator.keras"),
                              (finetuned, "generator.keras")):
        assert os.path.exists(os.path.join(model.uri, "Format-Serving", "saved_model.pb"))
        assert os.path.exists(os.path.join(model.uri, keras_file))
    assert os.listdir(with_realness.uri) == ["Format-Serving"]  # a serving model only: both models are in it
    with open(os.path.join(finetuned.uri, "finetune_history.json")) as f:
        history = json.load(f)
    assert history["steps"] == history["discriminator_steps"] == 10  # TTUR: the discriminator learned every step too
    for run in store.get_artifacts_by_type("ModelRun"):
        assert os.path.isdir(os.path.join(run.uri, "logs"))


def test_realness_report_and_failures(tiny_run):
    import json

    from colordisc_tf.evaluate.scoring import read_scores

    root, *_ = tiny_run
    store = _store(root)
    scores_uri = _latest(store, RealnessScores.TYPE_NAME).uri
    rows = read_scores(scores_uri)
    with open(os.path.join(scores_uri, "report", "metrics.json")) as f:
        report = json.load(f)
    assert report["images"] == sum(r["split"] == "eval" for r in rows) > 0
    assert os.path.exists(os.path.join(scores_uri, "report", "histogram.png"))
    assert os.path.exists(os.path.join(scores_uri, "report", "worst_00.png"))
    failures_uri = max(store.get_artifacts_by_type("Examples"), key=lambda a: a.id).uri
    with open(os.path.join(failures_uri, "manifest.jsonl")) as f:
        manifest = [json.loads(line) for line in f]
    for split in ("train", "eval"):
        n = sum(r["split"] == split for r in rows)
        assert sum(m["split"] == split for m in manifest) >= int(0.25 * n)
    train_ids = {m["id"] for m in manifest if m["split"] == "train"}
    eval_ids = {m["id"] for m in manifest if m["split"] == "eval"}
    assert not train_ids & eval_ids


@pytest.mark.slow
def test_tfx_cli_pipeline_create_and_run(tmp_path):
    import json
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    photos = tmp_path / "photos"
    write_demo_photos(photos, tile=32, max_side=96, names=["astronaut", "coffee", "chelsea"])
    # every output under tmp_path: the repo's saved_models/ and reports/latest/ belong to `make demo`
    config = {**TINY, "name": "colordisc-cli", "data": [str(photos)], "pipeline_root": str(tmp_path / "root"),
              "serving_root": str(tmp_path / "saved_models"), "report_dir": str(tmp_path / "report")}
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {**os.environ, "LOCAL_HOME": str(tmp_path / "local_home"), "COLORDISC_CONFIG": str(tmp_path / "config.json")}
    tfx = os.path.join(os.path.dirname(sys.executable), "tfx")
    for args in (["pipeline", "create", "--engine", "local", "--pipeline_path", "pipelines/local_runner.py"],
                 ["run", "create", "--engine", "local", "--pipeline_name", "colordisc-cli"]):
        result = subprocess.run([tfx, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    store = metadata_store.MetadataStore(
        metadata.sqlite_metadata_connection_config(str(tmp_path / "root" / "metadata.sqlite")))
    assert {e.last_known_state for e in store.get_executions()} == {metadata_store_pb2.Execution.COMPLETE}
    assert (tmp_path / "report" / "index.html").exists() and (tmp_path / "saved_models" / "colordisc-cli_generator").is_dir()


def test_pushed_models_have_the_tf_serving_layout_and_answer(tiny_run):
    import io
    import subprocess
    import sys
    import textwrap

    from PIL import Image

    root, config, *_ = tiny_run
    generator_base = root / "saved_models" / f"{config.name}_generator"
    versions = [v for v in os.listdir(generator_base) if v.isdigit()]
    assert len(versions) == 1
    assert (generator_base / versions[0] / "saved_model.pb").exists()
    assert any(v.isdigit() for v in os.listdir(root / "saved_models" / f"{config.name}_discriminator"))
    buf = io.BytesIO()
    Image.new("RGB", (37, 23), (90, 120, 30)).save(buf, "JPEG")
    (root / "probe.jpg").write_bytes(buf.getvalue())
    script = textwrap.dedent(f"""
        import io, numpy as np, tensorflow as tf
        from PIL import Image
        serve = tf.saved_model.load({str(generator_base / versions[0])!r}).signatures["serving_default"]
        out = serve(images=tf.constant([open({str(root / 'probe.jpg')!r}, "rb").read()]))["colorized"]
        print(Image.open(io.BytesIO(out.numpy()[0])).size)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "(37, 23)"


def test_the_pushed_colorizer_with_realness_serves_the_blessed_generator_and_its_discriminator(tiny_run):
    import subprocess
    import sys
    import textwrap

    from PIL import Image

    root, config, *_ = tiny_run
    outputs = latest_run_outputs(str(root / "metadata.sqlite"))
    blessed = outputs["BeforeAfterEvaluator"]["blessing"][0].custom_properties["blessed"].int_value
    made = outputs["RealnessColorizer"]["model"][0]
    assert made.custom_properties["generator"].string_value == ("fine-tuned (blessed)" if blessed else "base")
    base = root / "saved_models" / f"{config.name}_colorizer_with_realness"
    (version,) = [v for v in os.listdir(base) if v.isdigit()]
    Image.new("RGB", (37, 23), (90, 120, 30)).save(root / "probe_realness.png")
    script = textwrap.dedent(f"""
        import io, json, numpy as np, tensorflow as tf
        from PIL import Image
        serve = tf.saved_model.load({str(base / version)!r}).signatures["colorize_with_realness"]
        out = serve(images=tf.constant([open({str(root / 'probe_realness.png')!r}, "rb").read()]))
        print(json.dumps({{"size": Image.open(io.BytesIO(out["colorized_bytes"].numpy()[0])).size,
                          "map_size": Image.open(io.BytesIO(out["realness_map_bytes"].numpy()[0])).size,
                          "realness": float(out["realness"].numpy()[0])}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["size"] == answer["map_size"] == [37, 23]
    assert 0.0 <= answer["realness"] <= 1.0


def test_before_after_report_and_blessing(tiny_run):
    import json

    root, config, *_ = tiny_run
    store = _store(root)
    report_uri = _latest(store, ColorizationReport.TYPE_NAME).uri
    with open(os.path.join(report_uri, "before_after.json")) as f:
        report = json.load(f)
    for set_name in ("eval_failures", "eval_all"):
        for model in ("base", "finetuned"):
            result = report["sets"][set_name][model]
            assert result["images"] > 0
            assert {"fool_rate_fixed", "fool_rate_retrained", "detection_auc_retrained", "auc_raw", "auc_rebalanced",
                    "psnr"} <= set(result)
            per_discriminator = [result[f"detection_auc_retrained_{i}"] for i in range(2)]  # one per seed, averaged
            assert result["detection_auc_retrained"] == pytest.approx(np.mean(per_discriminator))
    page = (root / "reports" / "latest" / "index.html").read_text()
    assert "before / after" in page and "worst_cases.png" in page
    blessing = _latest(store, "ModelBlessing")
    blessed = blessing.custom_properties["blessed"].int_value
    assert blessed == int(report["blessed"])
    assert blessing.custom_properties["verdict"].string_value == report["verdict"]
    assert blessing.custom_properties["outcome"].string_value == report["outcome"]
    with open(os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED")) as f:
        assert f.readline().strip() == report["verdict"]
    assert "fine-tuned − base" in page and report["verdict"].split(": ", 1)[1].split(" [")[0] in page
    pushed = root / "saved_models" / f"{config.name}_generator_finetuned"
    assert pushed.exists() == bool(blessed)


@pytest.mark.slow
def test_report_renders_in_headless_chromium(tiny_run, tmp_path):
    import shutil
    import subprocess

    from PIL import Image

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    root, *_ = tiny_run
    shot = tmp_path / "report.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,2400", f"--screenshot={shot}",
         (root / "reports" / "latest" / "index.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.float32)
    assert pixels.std() > 10  # text, tables and images, not a blank page
    # The images loaded: some pixels are colourful (the prior plot and the grids).
    assert (np.ptp(pixels, axis=-1) > 60).mean() > 0.01


def _node_states(root, since: int) -> dict:
    """{node id: execution state} of the executions after the first `since`."""
    store = _store(root)
    states = {}
    for execution in store.get_executions()[since:]:
        for context in store.get_contexts_by_execution(execution.id):
            if store.get_context_types_by_id([context.type_id])[0].name == "node":
                states[context.name.split(".", 1)[1]] = metadata_store_pb2.Execution.State.Name(
                    execution.last_known_state)
    return states


def _run_again(root, config, **sections) -> dict:
    import dataclasses

    since = len(_store(root).get_executions())
    changed = dataclasses.replace(config, **sections)
    LocalDagRunner().run(create_pipeline(changed))
    return _node_states(root, since)


UPSTREAM_OF_FINETUNE = {"LabExampleGen", "ColorPriorGen", "GeneratorTrainer", "Colorize", "PushGenerator",
                        "DiscriminatorTrainer", "PushDiscriminator", "RealnessEvaluator", "FailureFilter"}
DOWNSTREAM_OF_BLESSING = {"RealnessColorizer", "PushColorizerWithRealness"}


@pytest.mark.slow  # ~2 min on 2 cores: re-runs the pipeline twice more
def test_cache_reruns_exactly_what_a_config_change_touches_then_starts_from_imported_weights(tiny_run):
    import dataclasses

    from colordisc_tf.serve.saving import load_generator

    root, config, *_ = tiny_run
    # (runs last in this module: it adds runs to the store the tests above read)
    states = _run_again(root, config, finetune=dataclasses.replace(config.finetune, lambda_adv=0.5))
    assert {n for n, s in states.items() if s == "CACHED"} == UPSTREAM_OF_FINETUNE
    assert {n for n, s in states.items() if s == "COMPLETE"} == {
        "FineTuneTrainer", "BeforeAfterEvaluator", "PushGeneratorFinetuned", *DOWNSTREAM_OF_BLESSING}

    # A generator from elsewhere (here: the first run's), used as is: "init" + steps 0.
    first = min(_store(root).get_artifacts_by_type("Model"), key=lambda a: a.id).uri
    states = _run_again(root, config, generator=dataclasses.replace(config.generator, init=first, steps=0))
    assert {n for n, s in states.items() if s == "CACHED"} == {"LabExampleGen", "ColorPriorGen"}
    assert set(states) == set(UPSTREAM_OF_FINETUNE) | {"FineTuneTrainer", "BeforeAfterEvaluator",
                                                       "PushGeneratorFinetuned", *DOWNSTREAM_OF_BLESSING}
    used = latest_run_outputs(str(root / "metadata.sqlite"))["GeneratorTrainer"]["model"][0].uri
    assert used != first
    for a, b in zip(load_generator(first)[0].get_weights(), load_generator(used)[0].get_weights()):
        np.testing.assert_array_equal(a, b)  # steps 0: the imported weights, untouched
