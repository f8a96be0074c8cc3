"""Reliability and security, round two: no user file lost or overwritten, no input skipped
silently, one line for ordinary faults, no port open to the network, bounded requests.
Each test failed on the main of 2026-12-01 (1a6288f) and passes now."""

import errno
import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from pipelines.cli import main

IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def _photo(path, seed=0, size=(48, 40)):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    pixels[..., 0] = np.linspace(0, 255, size[0], dtype=np.uint8)  # some colour, not gray
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def _one_line_error(capsys, argv, code=2):
    capsys.readouterr()
    assert main(argv) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("colordisc: "), err
    return err[0]


# ---------------------------------------------------------------- 1. outputs that overwrite each other


def test_no_two_inputs_share_an_output_or_an_overlay(tmp_path, capsys, tiny_models):
    for name in ("a.jpg", "a.png", "a_jpg.png", "x.png", "x.realness.jpg"):
        _photo(tmp_path / "in" / name, seed=len(name))
    argv = ["colorize", "--model", str(tiny_models["generator"]), str(tmp_path / "in"), "--output",
            str(tmp_path / "out"), "--realness", "--discriminator", str(tiny_models["discriminator"])]
    assert main(argv) == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "colorized.jsonl").read_text().splitlines()]
    outputs = [r["output"] for r in rows] + [r["overlay"] for r in rows]
    assert len(rows) == 5 and len(set(outputs)) == 10  # every colorization and overlay its own file
    assert all(os.path.isfile(p) for p in outputs)
    assert "5 written" in capsys.readouterr().out


# ---------------------------------------------------------------- 2. user files deleted


def test_colorize_refuses_to_write_over_its_inputs(tmp_path, capsys, tiny_models):
    photo = _photo(tmp_path / "photos" / "a.png")
    before = photo.read_bytes()
    line = _one_line_error(capsys, ["colorize", "--model", str(tiny_models["generator"]), str(tmp_path / "photos"),
                                    "--output", str(tmp_path / "photos"), "--overwrite"])
    assert "holds 1 of the inputs" in line
    assert photo.read_bytes() == before and os.listdir(tmp_path / "photos") == ["a.png"]


def test_overwrite_replaces_only_what_colordisc_wrote(tmp_path, capsys, tiny_models):
    _photo(tmp_path / "in" / "a.png")
    mine = tmp_path / "out"
    (mine / "notes.txt").parent.mkdir()
    (mine / "notes.txt").write_text("the user's own file")
    argv = ["colorize", "--model", str(tiny_models["generator"]), str(tmp_path / "in"), "--output", str(mine),
            "--overwrite"]
    assert "was not written by colordisc" in _one_line_error(capsys, argv)
    assert (mine / "notes.txt").read_text() == "the user's own file"
    (mine / "output").mkdir()  # a colordisc output kept inside does not make the user's folder colordisc's
    (mine / "output" / ".colordisc-output").write_text("")
    assert "was not written by colordisc" in _one_line_error(capsys, argv)
    assert (mine / "notes.txt").exists()
    (mine / "output" / ".colordisc-output").unlink()
    (mine / "output").rmdir()
    (mine / "notes.txt").unlink()
    assert main(argv) == 0 and main(argv) == 0  # an output of its own it does replace


def test_a_users_folders_named_like_leftovers_are_kept(tmp_path, tiny_models):
    _photo(tmp_path / "in" / "a.png")
    for name in ("out.old-2024", "out.partial-mine"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text("mine")
    # a real leftover of a killed run (it holds the marker) is still cleaned up
    (tmp_path / "out.partial-killed").mkdir()
    (tmp_path / "out.partial-killed" / ".colordisc-output").write_text("")
    assert main(["colorize", "--model", str(tiny_models["generator"]), str(tmp_path / "in"), "--output",
                 str(tmp_path / "out")]) == 0
    assert (tmp_path / "out.old-2024" / "keep.txt").exists() and (tmp_path / "out.partial-mine" / "keep.txt").exists()
    assert not (tmp_path / "out.partial-killed").exists()


# ---------------------------------------------------------------- 3. and 4. inputs accounted for


def test_a_file_name_that_is_not_utf8_is_a_reject_not_a_crash(tmp_path, capsys):
    folder = tmp_path / "in"
    for i in range(3):
        _photo(folder / f"p{i}.png", seed=i, size=(40, 40))
    bad = os.path.join(os.fsencode(folder), b"bad\xff.png")  # a byte Linux allows in a name, not UTF-8
    _photo(folder / "tmp.png", seed=9, size=(40, 40))
    os.replace(folder / "tmp.png", bad)
    assert main(["preprocess", str(folder), "--output", str(tmp_path / "out"), "--size", "32", *IN_MEMORY]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["inputs"] == 4 and summary["written_total"] + summary["rejected_total"] == 4
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    (reject,) = [r for r in rejects if "bad" in r["path"]]
    assert reject["reason"] == "unreadable" and "UTF-8" in reject["detail"]
    assert os.fsencode(reject["path"]) == bad


def test_symlinked_folders_are_walked_once(tmp_path):
    from colordisc_tf.data.preprocess import expand_inputs

    _photo(tmp_path / "in" / "a.png")
    _photo(tmp_path / "elsewhere" / "b.png")
    os.symlink(tmp_path / "elsewhere", tmp_path / "in" / "linked")
    os.symlink(tmp_path / "in", tmp_path / "in" / "loop")  # a link back up: no endless walk
    names = sorted(os.path.relpath(p, tmp_path / "in") for p in expand_inputs([str(tmp_path / "in")]))
    assert names == ["a.png", os.path.join("linked", "b.png")]


# ---------------------------------------------------------------- 5. ordinary faults are one line


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch, tiny_models, code):
    import pathlib

    _photo(tmp_path / "in" / "a.png")

    def failing_write(self, data):
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(pathlib.Path, "write_bytes", failing_write)
    line = _one_line_error(capsys, ["colorize", "--model", str(tiny_models["generator"]), str(tmp_path / "in"),
                                    "--output", str(tmp_path / "out")])
    assert os.strerror(code) in line
    assert sorted(os.listdir(tmp_path)) == ["in"]  # no output, no staging folder, no lock


def test_ctrl_c_is_one_line(tmp_path, capsys, monkeypatch, tiny_models):
    from colordisc_tf.serve import colorize_files

    _photo(tmp_path / "in" / "a.png")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(colorize_files, "png_as_preprocess_decodes", interrupted)
    line = _one_line_error(capsys, ["colorize", "--model", str(tiny_models["generator"]), str(tmp_path / "in"),
                                    "--output", str(tmp_path / "out")], code=130)
    assert "interrupted" in line
    assert sorted(os.listdir(tmp_path)) == ["in"]


# ---------------------------------------------------------------- 6. no port open to the network


def _listening(pids) -> list[tuple[str, int]]:
    import psutil

    found = []
    for pid in pids:
        try:
            found += [(c.laddr.ip, c.laddr.port) for c in psutil.Process(pid).net_connections(kind="inet")
                      if c.status == psutil.CONN_LISTEN]
        except psutil.Error:
            pass
    return found


def _tree(pid) -> list[int]:
    import psutil

    try:
        return [pid] + [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _loopback(ip: str) -> bool:
    import ipaddress

    address = ipaddress.ip_address(ip)
    return address.is_loopback or (address.version == 6 and address.ipv4_mapped is not None
                                   and address.ipv4_mapped.is_loopback)


def test_beam_cluster_listens_on_loopback_and_stops_its_services_on_sigterm(tmp_path):
    from colordisc_tf.infra.ports import free_port

    ports = [free_port(), free_port()]
    cluster = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "beam-cluster", "--job-port", str(ports[0]),
                                "--worker-port", str(ports[1])], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not {p for _, p in _listening(_tree(cluster.pid))} >= set(ports):
            assert cluster.poll() is None, cluster.stdout.read()
            time.sleep(0.5)
        listening = _listening(_tree(cluster.pid))
        assert {p for _, p in listening} >= set(ports), listening
        assert all(_loopback(ip) for ip, _ in listening), listening
        services = _tree(cluster.pid)[1:]
        cluster.send_signal(signal.SIGTERM)
        cluster.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _listening(services):
            time.sleep(0.5)
        assert not _listening(services)  # the job service and the worker pool stopped with it
    finally:
        for pid in _tree(cluster.pid)[::-1]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_local_beam_run_opens_no_port_outside_loopback(tmp_path):
    """The DirectRunner in multi_processing mode: the pipeline process serves its workers over gRPC."""
    import threading

    import psutil

    from colordisc_tf.config import PreprocessConfig
    from colordisc_tf.data.preprocess import run_preprocess

    for i in range(6):
        _photo(tmp_path / "in" / f"p{i}.png", seed=i, size=(40, 40))
    seen, done = set(), threading.Event()

    def watch():
        while not done.is_set():
            seen.update(_listening(_tree(os.getpid())))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run_preprocess([str(tmp_path / "in")], str(tmp_path / "out"), PreprocessConfig(size=32),
                       ["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    finally:
        done.set()
        watcher.join()
    assert seen and psutil  # Beam's services were up while it ran
    assert all(_loopback(ip) for ip, _ in seen), sorted(seen)


# ---------------------------------------------------------------- 7. bounded requests


def _png(size, seed=0):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_requests_are_bounded_in_images_and_pixels_and_webp_is_measured_from_its_header(tmp_path):
    import tensorflow as tf

    from colordisc_tf.config import Decoding
    from colordisc_tf.models import build_generator
    from colordisc_tf.serve.export import export_generator
    from colordisc_tf.serve.serving_input import header_pixels

    for kind, lossless in (("lossy", False), ("lossless", True)):
        buf = io.BytesIO()
        Image.new("RGB", (300, 200), (200, 40, 40)).save(buf, "WEBP", lossless=lossless)
        assert int(header_pixels(tf.constant(buf.getvalue()))) == 60000, kind
    buf = io.BytesIO()
    Image.new("RGBA", (120, 70), (200, 40, 40, 128)).save(buf, "WEBP")  # alpha: the extended (VP8X) header
    assert int(header_pixels(tf.constant(buf.getvalue()))) == 8400
    big_webp = buf.getvalue()

    export_dir = export_generator(build_generator(0.0625), str(tmp_path / "g"), Decoding(), model_size=32,
                                  max_pixels=5000, max_images=2, max_request_pixels=6000)
    serve = tf.saved_model.load(export_dir).signatures["serving_default"]
    assert serve(images=tf.constant([_png((40, 30)), _png((50, 40))]))["colorized"].shape == (2,)
    for images, limit in (([_png((20, 20))] * 3, "more than 2 images in one request"),
                          ([_png((70, 70)), _png((40, 40))], "more than 6000 pixels in one request"),
                          ([big_webp], r"more than 6000 pixels in one request(.|\n)*\[8400\]")):  # from its header
        with pytest.raises(tf.errors.InvalidArgumentError, match=limit):
            serve(images=tf.constant(images))


# ---------------------------------------------------------------- 8. near-duplicates stay in one split


def test_a_photo_and_its_reencoded_copy_land_in_one_split(tmp_path):
    from colordisc_tf.config import PreprocessConfig
    from colordisc_tf.data.demo_photos import load_demo_photos
    from colordisc_tf.data.preprocess import run_preprocess
    import tensorflow as tf

    from colordisc_tf.data.record_format import decode_lab_example, split_file_pattern

    names = ["astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "china", "flower", "immunohistochemistry"]
    (tmp_path / "in").mkdir()
    for name, photo in load_demo_photos(names).items():  # each photo as PNG and as a quality-70 JPEG
        image = Image.fromarray(photo).resize((96, 72), Image.BICUBIC)
        image.save(tmp_path / "in" / f"{name}.png")
        image.save(tmp_path / "in" / f"{name}_copy.jpg", quality=70)
    summary = run_preprocess([str(tmp_path / "in")], str(tmp_path / "out"), PreprocessConfig(size=32, eval_percent=50),
                             IN_MEMORY)
    assert summary["written_total"] == 16 and summary["near_duplicate_groups"] == 8
    split_of = {}
    for split in ("train", "eval"):
        files = tf.io.gfile.glob(split_file_pattern(str(tmp_path / "out"), split))
        for raw in tf.data.TFRecordDataset(files, compression_type="GZIP"):
            photo = os.path.basename(decode_lab_example(raw.numpy())["source"]).removesuffix("_copy.jpg")
            split_of.setdefault(photo.removesuffix(".png"), set()).add(split)
    assert len(split_of) == 8 and all(len(splits) == 1 for splits in split_of.values()), split_of
    assert {s for splits in split_of.values() for s in splits} == {"train", "eval"}  # still both splits


# ---------------------------------------------------------------- 9. checked early


def test_a_missing_init_is_refused_when_the_config_loads(tmp_path):
    from colordisc_tf.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"generator\.init: .*nowhere does not exist"):
        load_config(overrides={"generator": {"init": str(tmp_path / "nowhere"), "steps": 0}})


# ---------------------------------------------------------------- 10. small things


def test_outputs_get_the_umask_and_the_listing_is_absolute(tmp_path, monkeypatch, tiny_models):
    _photo(tmp_path / "in" / "a.png")
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        assert main(["colorize", "--model", str(tiny_models["generator"]), "in", "--output", "out"]) == 0
    finally:
        os.umask(old)
    assert oct(os.stat(tmp_path / "out").st_mode & 0o777) == oct(0o755)
    (row,) = [json.loads(line) for line in (tmp_path / "out" / "colorized.jsonl").read_text().splitlines()]
    assert os.path.isabs(row["input"]) and os.path.isabs(row["output"]) and os.path.isfile(row["output"])


_SIGTERM_IN_A_FINALIZER = """
import time
from pipelines.commands.app import _stop_on_sigterm

_stop_on_sigterm()

class Finalized:
    def __del__(self):  # tqdm's __del__ was where a real run took the signal
        print("finalizing", flush=True)
        time.sleep(5)

try:
    Finalized()
    time.sleep(20)
    print("ran on", flush=True)
except KeyboardInterrupt as e:
    print("stopped:", e, flush=True)
"""


def test_a_sigterm_that_lands_in_a_finalizer_still_stops_the_command():
    """Python prints and drops an exception raised inside __del__ ("Exception ignored in"): a
    SIGTERM that arrived there once left `colordisc run` going on to its next component."""
    run = subprocess.Popen([sys.executable, "-c", _SIGTERM_IN_A_FINALIZER], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline().strip() == "finalizing"
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=15)
    finally:
        run.kill()
    assert "Stopped: signal 15" in err  # it did land in the finalizer, and was dropped there
    assert out.strip() == "stopped: signal 15", (out, err)
