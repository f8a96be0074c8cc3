"""Planted user mistakes and hostile inputs: no silent wrong results, no lost outputs,
one-line errors (exit code 2) for what the user can fix."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from pipelines.cli import main
from colordisc_tf.config import ConfigError, load_config

IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def _photo(path, seed=0, size=(48, 40), mode="RGB", fmt=None):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    pixels[..., 0] = np.linspace(0, 255, size[0], dtype=np.uint8)  # some colour, not gray
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(pixels)
    if mode == "I;16":
        image = Image.fromarray((pixels[..., 0].astype(np.uint16) * 257))
    image.save(path, fmt)
    return path


def _one_line_error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("colordisc: error: "), err
    return err[0]


@pytest.fixture
def generator_dir(tiny_models):
    return tiny_models["generator"]


def test_preprocess_never_mixes_runs(tmp_path, capsys):
    for i in range(4):
        _photo(tmp_path / "a" / f"{i}.png", seed=i)
    _photo(tmp_path / "b" / "x.png", seed=10)
    out = str(tmp_path / "out")
    assert main(["preprocess", str(tmp_path / "a"), "--output", out, "--size", "32", *IN_MEMORY]) == 0
    first = sorted(os.listdir(out))
    capsys.readouterr()
    line = _one_line_error(capsys, ["preprocess", str(tmp_path / "b"), "--output", out, "--size", "32", *IN_MEMORY])
    assert "not empty" in line and "--overwrite" in line
    assert sorted(os.listdir(out)) == first  # untouched
    assert main(["preprocess", str(tmp_path / "b"), "--output", out, "--size", "32", "--overwrite", *IN_MEMORY]) == 0
    with open(os.path.join(out, "summary.json")) as f:
        assert json.load(f)["inputs"] == 1
    shards = [n for split in ("train", "eval") for n in os.listdir(os.path.join(out, f"Split-{split}"))]
    assert len({n.rsplit("-of-", 1)[-1] for n in shards}) == 1  # no shards of the first run left beside
    assert not [n for n in os.listdir(tmp_path) if ".partial-" in n or ".old-" in n or n.endswith(".lock")]


def test_a_second_concurrent_run_is_refused_at_once(tmp_path):
    from colordisc_tf.data.preprocess import run_preprocess
    from colordisc_tf.infra.output_folder import output_folder
    from colordisc_tf.config import PreprocessConfig

    _photo(tmp_path / "in" / "p.png")
    out = str(tmp_path / "out")
    with output_folder(out) as staging:  # a run in progress
        with pytest.raises(FileExistsError, match="another run is writing"):
            run_preprocess([str(tmp_path / "in")], out, PreprocessConfig(size=32), IN_MEMORY)
        open(os.path.join(staging, "marker"), "w").close()
    assert sorted(os.listdir(out)) == [".colordisc-output", "marker"]  # the first run's output, whole


def test_a_failed_run_leaves_no_partial_output(tmp_path):
    from colordisc_tf.infra.output_folder import output_folder

    with pytest.raises(RuntimeError):
        with output_folder(str(tmp_path / "out")) as staging:
            open(os.path.join(staging, "half"), "w").close()
            raise RuntimeError("killed mid-way")
    assert os.listdir(tmp_path) == []


def test_empty_input_folder_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    line = _one_line_error(capsys, ["preprocess", str(tmp_path / "empty"), "--output", str(tmp_path / "o"), *IN_MEMORY])
    assert "nothing to preprocess" in line


def test_colorize_names_outputs_after_inputs_and_skips_bad_files(tmp_path, capsys, generator_dir):
    inputs = tmp_path / "in"
    _photo(inputs / "a" / "photo.jpg", seed=1, fmt="JPEG")
    _photo(inputs / "b" / "photo.jpg", seed=2, fmt="JPEG")
    _photo(inputs / "photo.png", seed=3)
    _photo(inputs / "deep16.tif", seed=4, mode="I;16")  # preprocess accepts 16-bit TIFF: so must colorize
    (inputs / "notes.txt").write_text("not an image")
    os.symlink(inputs / "loop", inputs / "loop")  # a symlink loop: reading it fails
    _photo(inputs / "zz_after.png", seed=5)  # after the bad files in walk order
    out = tmp_path / "out"
    assert main(["colorize", "--model", str(generator_dir), str(inputs), "--output", str(out)]) == 0
    captured = capsys.readouterr()
    written = {os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs}
    assert written == {"a/photo.png", "b/photo.png", "photo.png", "deep16.png", "zz_after.png", "colorized.jsonl",
                       ".colordisc-output"}
    assert "5 written, 2 skipped" in captured.out
    skipped = [line for line in captured.err.splitlines() if line.startswith("colorize: skipped")]
    assert len(skipped) == 2 and any("notes.txt: not_an_image" in s for s in skipped) \
        and any("loop" in s for s in skipped)
    with open(out / "colorized.jsonl") as f:
        mapping = {row["input"]: row["output"] for row in map(json.loads, f)}
    assert mapping[str(inputs / "a" / "photo.jpg")] == str(out / "a" / "photo.png")
    for name in ("a/photo.png", "deep16.png"):
        assert Image.open(out / name).size == (48, 40)
    # a second run into the same folder is refused, not mixed in
    line = _one_line_error(capsys, ["colorize", "--model", str(generator_dir), str(inputs), "--output", str(out)])
    assert "not empty" in line


@pytest.fixture
def discriminator_dir(tiny_models):
    return tiny_models["discriminator"]


def test_colorize_with_realness_scores_ranks_and_overlays(tmp_path, capsys, generator_dir, discriminator_dir):
    import tensorflow as tf

    inputs = tmp_path / "in"
    for seed in range(4):
        _photo(inputs / f"p{seed}.png", seed=seed, size=(40 + 8 * seed, 36))
    out = tmp_path / "out"
    argv = ["colorize", "--model", str(generator_dir), str(inputs), "--output", str(out), "--discriminator", str(discriminator_dir)]
    assert main(argv + ["--realness"]) == 0
    printed = capsys.readouterr().out.splitlines()
    with open(out / "colorized.jsonl") as f:
        rows = [json.loads(line) for line in f]
    discriminator = tf.saved_model.load(str(discriminator_dir / "serving")).signatures["serving_default"]
    for row in rows:
        # The score is the discriminator's own on the PNG written, and the overlay has the image's size.
        png = open(row["output"], "rb").read()
        assert row["realness"] == pytest.approx(float(discriminator(images=tf.constant([png]))["realness"][0]), abs=1e-5)
        assert row["overlay"] == row["output"][: -len(".png")] + ".realness.png"
        assert Image.open(row["overlay"]).size == Image.open(row["output"]).size
    ranked = [line.split()[1] for line in printed if line.startswith(("0.", "1."))]
    assert ranked == [r["output"] for r in sorted(rows, key=lambda r: r["realness"])]
    cut = sorted(r["realness"] for r in rows)[2]  # exactly two below
    assert main(argv + ["--min-realness", str(cut), "--overwrite"]) == 0
    printed = capsys.readouterr().out
    assert "2 of 4 colorizations below realness" in printed
    listed = [line.split()[1] for line in printed.splitlines() if line.startswith(("0.", "1."))]
    assert sorted(listed) == sorted(r["output"] for r in rows if r["realness"] < cut)
    line = _one_line_error(capsys, argv[:-2] + ["--realness", "--overwrite"])
    assert "need --discriminator" in line
    line = _one_line_error(capsys, argv + ["--min-realness", "1.5", "--overwrite"])
    assert "--min-realness must be in [0, 1]" in line
    line = _one_line_error(capsys, argv[:-1] + [str(generator_dir), "--realness", "--overwrite"])
    assert "holds a generator model directory; --discriminator wants a discriminator" in line


def test_colorize_guided_needs_the_colorizer_with_realness(tmp_path, capsys, generator_dir, tiny_models):
    both = tiny_models["colorizer_with_realness"]
    _photo(tmp_path / "in" / "a.png", seed=1)
    argv = ["colorize", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--decode", "guided"]
    assert main(argv + ["--model", str(both)]) == 0
    with open(tmp_path / "out" / "colorized.jsonl") as f:
        (row,) = [json.loads(line) for line in f]
    assert min(abs(row["temperature"] - t) for t in (0.2, 0.3, 0.38, 0.5, 0.6)) < 1e-4
    assert Image.open(row["output"]).size == (48, 40)
    line = _one_line_error(capsys, argv + ["--model", str(generator_dir), "--overwrite"])
    assert "holds a generator model directory; --model wants a colorizer with realness" in line


def test_realness_overlay_is_red_where_unreal_and_green_where_real():
    from colordisc_tf.serve.overlay import realness_overlay

    gray = np.full((30, 40, 3), 128, np.uint8)
    overlay = realness_overlay(gray, np.array([[0.0, 0.0, 1.0, 1.0]] * 3))
    assert overlay.shape == gray.shape and overlay.dtype == np.uint8
    left, right = overlay[:, :8].astype(int), overlay[:, -8:].astype(int)
    assert (left[..., 0] > left[..., 1] + 40).all() and (right[..., 1] > right[..., 0] + 40).all()
    with pytest.raises(ValueError, match="realness_map must be"):
        realness_overlay(gray, np.zeros(4))


def test_same_stem_in_one_folder_keeps_both(tmp_path, capsys, generator_dir):
    _photo(tmp_path / "in" / "photo.jpg", seed=1, fmt="JPEG")
    _photo(tmp_path / "in" / "photo.png", seed=2)
    assert main(["colorize", "--model", str(generator_dir), str(tmp_path / "in"), "--output", str(tmp_path / "o")]) == 0
    assert sorted(os.listdir(tmp_path / "o")) == [".colordisc-output", "colorized.jsonl", "photo_jpg.png", "photo_png.png"]


def test_user_mistakes_are_one_line_errors(tmp_path, capsys, generator_dir):
    from colordisc_tf.config import DiscriminatorConfig
    from colordisc_tf.models import build_discriminator
    from colordisc_tf.serve.saving import save_discriminator

    _photo(tmp_path / "p.png")
    line = _one_line_error(capsys, ["colorize", "--model", str(generator_dir), str(tmp_path / "nope"),
                                    "--output", str(tmp_path / "o")])
    assert "nope" in line
    discriminator = tmp_path / "discriminator"
    save_discriminator(build_discriminator(width=8, depth=2), DiscriminatorConfig(width=8, depth=2), str(discriminator))
    line = _one_line_error(capsys, ["colorize", "--model", str(discriminator), str(tmp_path / "p.png"),
                                    "--output", str(tmp_path / "o")])
    assert "holds a discriminator model directory; --model wants a generator" in line
    line = _one_line_error(capsys, ["colorize", "--model", str(tmp_path / "p.png"), str(tmp_path / "p.png"),
                                    "--output", str(tmp_path / "o")])
    assert "p.png is a file, not a model" in line
    (tmp_path / "file").write_text("x")
    line = _one_line_error(capsys, ["colorize", "--model", str(generator_dir), str(tmp_path / "p.png"),
                                    "--output", str(tmp_path / "file")])
    assert "not a folder" in line
    (tmp_path / "bad.json").write_text('{"generator": {"steps": 10,}}')
    line = _one_line_error(capsys, ["run", "--config", str(tmp_path / "bad.json")])
    assert "bad.json" in line and "invalid JSON" in line
    with pytest.raises(Exception):  # --debug: the traceback, for bugs
        main(["colorize", "--model", str(tmp_path / "p.png"), str(tmp_path / "p.png"), "--output",
              str(tmp_path / "o"), "--debug"])


@pytest.mark.parametrize("overrides, key", [
    ({"finetune": {"steps": -50}}, "finetune.steps"),
    ({"discriminator": {"batch_size": 0}}, "discriminator.batch_size"),
    ({"generator": {"crop_size": 128}, "data": ["photos"], "preprocess": {"size": 64}}, "generator.crop_size"),
    ({"finetune": {"crop_size": 72}}, "finetune.crop_size"),  # demo tiles are 64
    ({"failure_quantile": 1.5}, "failure_quantile"),
    ({"prior": {"lam": 2.0}}, "prior.lam"),
    ({"blessing": {"retrain_discriminator_seeds": 0}}, "blessing.retrain_discriminator_seeds"),
    ({"generator": {"temperature": 0.0}}, "generator.temperature"),
])
def test_config_rules_are_checked_at_load_time_naming_the_key(tmp_path, overrides, key):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(overrides))
    with pytest.raises(ConfigError) as error:
        load_config(str(path))
    assert str(error.value).startswith(f"{path}: {key}: must be"), str(error.value)


def test_a_config_with_a_key_from_before_the_renaming_says_its_new_name(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"finetune": {"critic_learning_rate": 1e-4}}))
    with pytest.raises(ConfigError, match=r"finetune.critic_learning_rate is now finetune.discriminator_learning_rate"):
        load_config(str(path))


def test_the_shipped_configs_load():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name in ("demo.json", "full.json", "starter.json"):
        load_config(os.path.join(repo, "pipelines", "configs", name))


def test_too_few_photos_stop_the_run_at_the_first_component(tmp_path):
    from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
    from tfx.types import standard_artifacts

    from components.lab_example_gen import Executor

    for i in range(3):
        _photo(tmp_path / "three" / f"{i}.png", seed=i)
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    os.makedirs(examples.uri)  # TFX makes the artifact folder first
    executor = Executor(BaseBeamExecutor.Context(beam_pipeline_args=IN_MEMORY))
    with pytest.raises(ValueError, match=r"too few photos.*train split \d \(need 20: min_train_photos\)"):
        executor.Do({}, {"examples": [examples]}, {"input_base": json.dumps([str(tmp_path / "three")]),
                                                   "config": json.dumps({"size": 32}),
                                                   "min_photos": json.dumps({"train": 20, "eval": 8})})


def _encoded(fmt, size, **save):
    import io

    buf = io.BytesIO()
    pixels = np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buf, fmt, **save)
    return buf.getvalue()


FORMATS = [("PNG", {}), ("JPEG", {}), ("JPEG", {"progressive": True}), ("GIF", {}), ("BMP", {})]


@pytest.mark.parametrize("fmt,save", FORMATS)
def test_serving_reads_the_size_from_the_header(fmt, save):
    import tensorflow as tf

    from colordisc_tf.serve.serving_input import header_pixels

    data = _encoded(fmt, (173, 61), **save)
    width, height = Image.open(__import__("io").BytesIO(data)).size  # PIL: the oracle
    assert int(header_pixels(tf.constant(data))) == width * height == 173 * 61
    assert int(header_pixels(tf.constant(b"not an image"))) == 0


@pytest.mark.parametrize("fmt,save", FORMATS)
def test_serving_refuses_an_oversize_image_before_decoding_it(fmt, save):
    """An image whose header is over the limit and whose pixel data is cut off: a decode
    would fail with a decode error, so the size message proves the header was read first."""
    import tensorflow as tf

    from colordisc_tf.serve.serving_input import decode_checked

    data = _encoded(fmt, (300, 200), **save)
    truncated = tf.constant(data[: 64 if fmt != "JPEG" else len(data) // 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than 50000 pixels"):
        decode_checked(truncated, max_pixels=50_000)
    whole = decode_checked(tf.constant(data), max_pixels=60_000)  # at the limit: decoded
    assert whole.shape == (200, 300, 3)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


_STARTING_PIPELINE = """
import apache_beam as beam
from colordisc_tf.infra.beam_options import pipeline_options

with beam.Pipeline(options=pipeline_options(["--direct_running_mode=multi_processing",
                                             "--direct_num_workers=2"])) as p:
    _ = p | beam.Create(range(8)) | beam.Reshuffle() | beam.Map(print)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_beam_workers_die_with_a_killed_pipeline_process(tmp_path):
    """SIGKILL the pipeline process the moment its two workers start (the worst time: they
    then wait out gRPC's 60 s connection timeouts): they end within seconds."""
    import signal
    import subprocess
    import sys
    import time

    from colordisc_tf.infra.orphan_reaper import descendants

    run = subprocess.Popen([sys.executable, "-c", _STARTING_PIPELINE],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None and len(workers) < 2:
            workers = {p for p in descendants(run.pid) if _cmdline(p).split()[1:2] == ["-m"]
                       and "sdk_worker_main" in _cmdline(p)}
            time.sleep(0.05)
        assert run.poll() is None and len(workers) == 2, "the workers were never seen"
        time.sleep(1.0)  # the watcher looks every 0.25 s: a worker younger than that may be missed
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_cmdline(p) for p in workers):
            time.sleep(0.2)
        assert not [p for p in workers if _cmdline(p)], "Beam workers outlived the pipeline process"
    finally:
        run.kill()
        for p in workers:
            if "sdk_worker_main" in _cmdline(p):
                os.kill(p, signal.SIGKILL)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_a_rerun_removes_what_a_killed_preprocess_left(tmp_path):
    """SIGKILL a preprocess mid-run: its staging folder stays behind; the next run into
    the same output removes it and writes a whole output."""
    import sys

    from killing import kill_when

    for i in range(60):
        _photo(tmp_path / "in" / f"{i}.jpg", seed=i, size=(640, 480))
    out = tmp_path / "out"

    def writing() -> bool:  # the staging folder is made (with its marker) before the pipeline starts
        return any(p.name.startswith("out.partial-") and (p / ".colordisc-output").exists() for p in tmp_path.iterdir())

    kill_when([sys.executable, "-m", "pipelines.cli", "preprocess", str(tmp_path / "in"), "--output", str(out),
               "--size", "64", *IN_MEMORY], writing, 120, "the preprocess run")
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name]  # what the kill left
    _photo(tmp_path / "one" / "x.png")
    assert main(["preprocess", str(tmp_path / "one"), "--output", str(out), "--size", "32", *IN_MEMORY]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "one", "out"]


_PARENT_OF_A_SLEEPER = """
import subprocess, sys
child = subprocess.Popen(["sleep", "120"])
print(child.pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_the_reaper_kills_the_orphans_while_the_dead_process_is_not_yet_reaped():
    """A killed process stays a zombie until its parent waits for it, and its children are
    handed to init the moment it dies: a watcher that keeps looking at the zombie's (now
    empty) descendants forgets them. Here the parent (this test) does not wait until the
    orphan is gone, so the watcher must treat the zombie as dead."""
    import signal
    import subprocess
    import sys
    import threading
    import time

    from colordisc_tf.infra import orphan_reaper

    parent = subprocess.Popen([sys.executable, "-c", _PARENT_OF_A_SLEEPER],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    orphan = int(parent.stdout.readline())
    killed = []
    watcher = threading.Thread(target=lambda: killed.append(orphan_reaper.watch(parent.pid)))
    try:
        watcher.start()
        time.sleep(4 * orphan_reaper.POLL_SECONDS)
        parent.send_signal(signal.SIGKILL)  # and no wait(): it stays a zombie
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "sleep" in _cmdline(orphan):
            time.sleep(0.05)
        assert "sleep" not in _cmdline(orphan), "the orphan outlived its killed parent"
        watcher.join(timeout=5)
        assert killed == [1]
    finally:
        parent.kill()
        parent.wait()
        if "sleep" in _cmdline(orphan):
            os.kill(orphan, signal.SIGKILL)
