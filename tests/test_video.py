"""Video colorization: the flicker metrics against oracles, the stable decode against a planted
flickering colorizer, shot cuts, and `colordisc colorize-video`'s promises (frame count, rate,
size, audio; nothing half-written under a final name)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from colordisc_tf.color.decoding import Decoding
from colordisc_tf.video.flicker import FlickerMeter, cdc, warp_error
from colordisc_tf.video.frame_colorizer import FrameColorizer
from colordisc_tf.video.temporal import TemporalState
from tests.video_clips import PlantedColorizer, pan, photo, probe, write_video

SIZE = (64, 96)


@pytest.fixture(scope="module")
def cat_pan():
    return pan(photo("chelsea"), size=SIZE, frames=16, step=(0.5, 0.75))


def _colorize(frames, colorizer: FrameColorizer, state: TemporalState, batch: int = 8):
    out, meter = [], FlickerMeter()
    for i in range(0, len(frames), batch):
        rgb, gray = colorizer.colorize(np.stack(frames[i:i + batch]), state)
        for frame, g in zip(rgb, gray):
            meter.add(frame, g)
            out.append(frame)
    return out, meter.summary()


def _planted(frames, taus, mode, history_weight=0.6, cut_threshold=0.3):
    colorizer = FrameColorizer(PlantedColorizer(frames, 64, taus), Decoding(), 64)
    state = TemporalState(mode, history_weight, cut_threshold)
    out, summary = _colorize(frames, colorizer, state)
    return out, summary, state


def _cdc_oracle(frames):
    """TCVC's CDC as its script computes it, with scipy's Jensen-Shannon distance (squared)."""
    per_channel = []
    for c in range(3):
        total = 0.0
        for d in (1, 2, 4):
            pairs = []
            for a, b in zip(frames[:-d], frames[d:]):
                ha = np.bincount(a[..., c].ravel(), minlength=256) / a[..., c].size
                hb = np.bincount(b[..., c].ravel(), minlength=256) / b[..., c].size
                pairs.append(jensenshannon(ha, hb) ** 2)
            total += np.mean(pairs) / 3
        per_channel.append(total)
    return float(np.mean(per_channel))


def test_cdc_is_tcvcs_definition(cat_pan):
    rng = np.random.default_rng(0)
    noisy = [np.clip(f.astype(int) + rng.integers(-20, 21, f.shape), 0, 255).astype(np.uint8) for f in cat_pan]
    for frames in (cat_pan, noisy):
        assert cdc(frames) == pytest.approx(_cdc_oracle(frames), rel=1e-9)
    assert cdc([cat_pan[0]] * 6) == 0.0


def test_a_true_colour_pan_scores_near_zero_and_a_colour_flicker_does_not(cat_pan):
    """Warp error against its closed form: a +-8-level cast on R and B alternating frame by frame
    makes every consistent pixel differ from its warped predecessor by 16 levels in 2 of 3 channels."""
    cast = np.array([8, 0, -8])
    flicker = [np.clip(f.astype(int) + (cast if i % 2 else -cast), 0, 255).astype(np.uint8)
               for i, f in enumerate(cat_pan)]
    luminance = [(np.asarray(f, np.float32) @ [0.299, 0.587, 0.114]).astype(np.uint8) for f in cat_pan]
    true_warp, flicker_warp = warp_error(cat_pan, luminance), warp_error(flicker, luminance)
    assert true_warp < 1e-4
    assert flicker_warp == pytest.approx((16 / 255) ** 2 * 2 / 3, rel=0.25)
    assert cdc(cat_pan) < 0.02
    assert cdc(flicker) > 2 * cdc(cat_pan)


def test_a_flickering_colorizer_scores_worse_and_stable_decoding_steadies_it(cat_pan):
    _, steady, _ = _planted(cat_pan, (1.0,), "none")
    _, flickering, _ = _planted(cat_pan, (1.0, 6.0), "none")
    _, stabilized, _ = _planted(cat_pan, (1.0, 6.0), "stable")
    assert flickering["cdc"] > 1.3 * steady["cdc"]
    assert flickering["warp_error"] > 3 * steady["warp_error"]
    assert stabilized["cdc"] < 0.8 * flickering["cdc"]
    assert stabilized["warp_error"] < 0.5 * flickering["warp_error"]
    assert stabilized["colorfulness_mean"] > 0.85 * flickering["colorfulness_mean"]


def test_warp_reads_the_history_where_the_flow_points():
    """_warp(history, flow)(x) = history(x + flow(x)): a whole-cell shift is np.roll's."""
    from colordisc_tf.video.temporal import _warp

    history = np.random.default_rng(0).random((12, 16, 5)).astype(np.float32)
    flow = np.broadcast_to(np.float32([3, -2]), (12, 16, 2))  # (dx, dy)
    warped = _warp(history, flow)
    np.testing.assert_allclose(warped[2:, :-3], history[:-2, 3:], rtol=1e-6)


def test_stable_carries_its_history_along_a_pan_onto_the_current_frame():
    """The flow's direction, end to end: the camera pans 8 px right and 4 down between two frames
    of a photo. Frame 0's decision is the frame itself (on the 1/4 grid), frame 1's is nothing
    (zeros), so what `stable` returns for frame 1 is w x frame 0's warped: it must line up with
    frame 1. Unwarped it is 2 cells off; warped the wrong way, 4."""
    frames = pan(photo("astronaut"), size=(128, 128), frames=2, step=(4.0, 8.0), start=(100.0, 150.0))
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    grid = [cv2.resize(f, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32) / 255 for f in frames]
    state = TemporalState("stable", history_weight=0.9)
    state.step(grid[0], gray[0])
    carried = state.step(np.zeros_like(grid[1]), gray[1]) / 0.9
    inner = (slice(4, -4), slice(4, -4))  # away from the edge the pan uncovers
    misaligned = np.abs(grid[0] - grid[1])[inner].mean()
    assert state.resets == []
    assert np.abs(carried - grid[1])[inner].mean() < min(0.02, 0.2 * misaligned)


def _flat_scene(colour, seed, size=(240, 320)) -> np.ndarray:
    """One colour with a few darker discs: large flat areas, where optical flow finds no motion
    between two different shots and so cannot tell a cut."""
    rng = np.random.default_rng(seed)
    image = np.empty(size + (3,), np.float32)
    image[:] = colour
    for _ in range(6):
        centre = (int(rng.integers(0, size[1])), int(rng.integers(0, size[0])))
        cv2.circle(image, centre, int(rng.integers(10, 30)), [c * 0.6 for c in colour], -1)
    return image.astype(np.uint8)


def test_after_a_cut_no_colour_of_the_first_shot_remains():
    """A blue night shot cut to an orange day shot. The cut's first frame comes out exactly as
    `none` colorizes it, and no pixel of it is blue (b* < 0). Flat shots keep the optical flow
    consistent across the cut, so only the cut detector can catch it: with it switched off the
    blue of the first shot covers most of that frame."""
    from skimage.color import rgb2lab

    night = pan(_flat_scene((40, 70, 160), seed=0), size=SIZE, frames=6, step=(0.5, 0.75))
    day = pan(_flat_scene((240, 170, 60), seed=1), size=SIZE, frames=6, step=(0.5, -0.75), start=(20.0, 100.0))
    frames = night + day
    none, _, _ = _planted(frames, (1.0, 6.0), "none")
    stable, _, state = _planted(frames, (1.0, 6.0), "stable", history_weight=0.9)
    assert state.resets == [6]
    np.testing.assert_array_equal(stable[6], none[6])
    assert (rgb2lab(stable[6])[..., 2] < 0).mean() == 0
    bled, _, undetected = _planted(frames, (1.0, 6.0), "stable", history_weight=0.9, cut_threshold=1.0)
    assert undetected.resets == [] and (rgb2lab(bled[6])[..., 2] < 0).mean() > 0.5


def test_stable_drops_its_history_at_a_shot_cut():
    first = pan(photo("chelsea"), size=SIZE, frames=8, step=(0.5, 0.75))
    second = pan(photo("coffee"), size=SIZE, frames=8, step=(0.5, -0.75), start=(40.0, 200.0))
    frames = first + second
    none, _, _ = _planted(frames, (1.0, 6.0), "none")
    stable, _, state = _planted(frames, (1.0, 6.0), "stable", history_weight=0.9)
    assert state.resets == [8]
    np.testing.assert_array_equal(stable[8], none[8])  # nothing of the first shot in the second's first frame
    assert all(np.abs(stable[i].astype(int) - none[i]).max() > 3 for i in (9, 10))  # the history is in use again


def test_none_colorizes_each_frame_as_serving_colorizes_that_image(tiny_models, cat_pan):
    from colordisc_tf.serve.inference import colorize_rgb
    from colordisc_tf.serve.saving import load_generator
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer

    model, config = load_generator(str(tiny_models["generator"]))
    for path in (tiny_models["generator"], tiny_models["generator"] / "serving"):
        colorizer = load_frame_colorizer(str(path))
        assert (colorizer.decoding, colorizer.model_size) == (config.decoding, config.serving_size)
        out, _ = _colorize(cat_pan[:3], colorizer, TemporalState("none"))
        for frame, colorized in zip(cat_pan[:3], out):
            expected = colorize_rgb(model, frame, config.serving_size, config.decoding).numpy()
            assert np.abs(colorized.astype(int) - expected).max() <= 1


def test_onnx_runtime_colorizes_as_tensorflow_does_in_both_modes(cat_pan):
    """--runtime onnx: the network in ONNX Runtime; every frame within one level of TensorFlow's,
    stable mode included (the SavedModel form: the --max-frames test below). The trained starter,
    not the tiny untrained generator: its logits (~1e-5) decode to one colour whatever they are."""
    from colordisc_tf.models.starter import resolve_init
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer

    reference = load_frame_colorizer(resolve_init("starter"))
    colorizer = load_frame_colorizer(resolve_init("starter"), "onnx")
    assert (colorizer.decoding, colorizer.model_size) == (reference.decoding, reference.model_size)
    for mode in ("none", "stable"):
        out, _ = _colorize(cat_pan[:6], colorizer, TemporalState(mode), batch=3)
        expected, _ = _colorize(cat_pan[:6], reference, TemporalState(mode), batch=3)
        assert max(np.abs(a.astype(int) - b).max() for a, b in zip(out, expected)) <= 1


def test_onnx_runtime_that_does_not_reproduce_tensorflow_is_refused(tiny_models, monkeypatch):
    from colordisc_tf.video import onnx_frames
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer

    monkeypatch.setattr(onnx_frames, "LOGIT_TOLERANCE", -1.0)  # no difference is within it
    with pytest.raises(onnx_frames.OnnxRefused, match="differs from TensorFlow by .* use --runtime tensorflow"):
        load_frame_colorizer(str(tiny_models["generator"]), "onnx")


def test_onnx_runtime_without_onnxruntime_is_refused_in_one_line(tiny_models, clip, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    assert _cli(clip, "--model", tiny_models["generator"], "--output", tmp_path / "out", "--runtime", "onnx") == 2
    assert "--runtime onnx needs onnxruntime and tf2onnx installed" in capsys.readouterr().err
    assert not (tmp_path / "out" / "cat.mp4").exists()


def _cli(*args):
    from pipelines.cli import main

    return main(["colorize-video", *map(str, args)])


@pytest.fixture(scope="module")
def clip(tmp_path_factory, cat_pan):
    folder = tmp_path_factory.mktemp("videos")
    write_video(folder / "cat.mp4", cat_pan, rate=12)
    return folder / "cat.mp4"


def test_colorize_video_keeps_frames_rate_size_and_audio(tiny_models, clip, tmp_path, capsys):
    source = probe(clip)
    assert _cli(clip, "--model", tiny_models["generator"], "--output", tmp_path / "out",
                "--discriminator", tiny_models["discriminator"]) == 0
    out = probe(tmp_path / "out" / "cat.mp4")
    assert (out["frames"], out["rate"], out["size"], out["audio"]) == (16, 12, (96, 64), "aac")
    assert out["audio_seconds"] == pytest.approx(source["audio_seconds"], abs=0.07)
    metrics = json.loads((tmp_path / "out" / "cat.metrics.json").read_text())
    assert metrics["frames"] == 16 and len(metrics["per_frame"]["realness"]) == 16
    assert metrics["cdc"] >= 0 and metrics["settings"]["temporal"] == "stable"
    assert (tmp_path / "out" / "cat.metrics.png").read_bytes()[:4] == b"\x89PNG"
    assert "1 written, 0 skipped" in capsys.readouterr().out


def test_max_frames_previews_the_start_and_cuts_the_audio_with_it(tiny_models, clip, tmp_path):
    """--model as the Pusher leaves it: saved_models/<name>/<version>/ (the newest version is used),
    its network run by ONNX Runtime."""
    import shutil

    pushed = tmp_path / "saved_models" / "colordisc_generator"
    shutil.copytree(tiny_models["generator"] / "serving", pushed / "1796160635")
    assert _cli(clip, "--model", pushed, "--output", tmp_path / "out", "--max-frames", 5, "--temporal", "none",
                "--runtime", "onnx") == 0
    out = probe(tmp_path / "out" / "cat.mp4")
    assert out["frames"] == 5 and out["audio_seconds"] < 5 / 12 + 0.1


def test_grey_odd_sized_input_and_audio_mp4_cannot_hold(tiny_models, cat_pan, tmp_path):
    frames = [f[:63, :95] for f in cat_pan[:6]]
    write_video(tmp_path / "grey.mkv", frames, gray=True, audio_codec="pcm_s16le")
    assert _cli(tmp_path / "grey.mkv", "--model", tiny_models["generator"], "--output", tmp_path / "out") == 0
    out = probe(tmp_path / "out" / "grey.mp4")
    assert (out["frames"], out["size"], out["audio"]) == (6, (95, 63), "aac")


def test_every_input_is_accounted_for_and_bad_ones_leave_nothing(tiny_models, clip, tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "cat.mp4").write_bytes(clip.read_bytes())
    (inputs / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    (inputs / "notes.txt").write_text("not a video")
    assert _cli(inputs, "--model", tiny_models["generator"], "--output", tmp_path / "out", "--max-frames", 3) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "broken.mp4" in err and "notes.txt" in err
    assert sorted(os.listdir(tmp_path / "out")) == ["cat.metrics.json", "cat.metrics.png", "cat.mp4"]
    # a second run keeps what exists unless told to replace it, and replaces only what it wrote
    assert _cli(inputs / "cat.mp4", "--model", tiny_models["generator"], "--output", tmp_path / "out") == 1
    assert "exists (--overwrite replaces it)" in capsys.readouterr().err
    assert _cli(inputs / "cat.mp4", "--model", tiny_models["generator"], "--output", tmp_path / "out",
                "--max-frames", 2, "--overwrite") == 0
    assert probe(tmp_path / "out" / "cat.mp4")["frames"] == 2
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "cat.metrics.json").write_text("the user's own notes")
    assert _cli(inputs / "cat.mp4", "--model", tiny_models["generator"], "--output", tmp_path / "mine",
                "--overwrite") == 1
    assert "did not write it: not replaced" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path / "mine")) == ["cat.metrics.json"]
    assert (tmp_path / "mine" / "cat.metrics.json").read_text() == "the user's own notes"


def test_a_full_disk_skips_the_video_and_leaves_no_partial_file(tiny_models, clip, tmp_path, monkeypatch, capsys):
    import errno

    from colordisc_tf.video import video_io

    def full(self, rgb, frame):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(video_io.Mp4Writer, "write_frame", full)
    assert _cli(clip, "--model", tiny_models["generator"], "--output", tmp_path) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_a_killed_run_leaves_nothing_under_the_final_name(tiny_models, cat_pan, tmp_path):
    long_clip = tmp_path / "long.mp4"
    write_video(long_clip, cat_pan * 12, rate=12, audio=False)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "colorize-video", str(long_clip),
                                "--model", str(tiny_models["generator"]), "--output", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (out / ".long.mp4.partial").exists() and time.time() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert (out / ".long.mp4.partial").exists(), "the run ended before it started writing"
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        process.kill()
    assert not (out / "long.mp4").exists() and not (out / "long.metrics.json").exists()


def test_a_model_that_is_not_a_generator_is_one_line(tiny_models, clip, tmp_path, capsys):
    assert _cli(clip, "--model", tiny_models["discriminator"] / "serving", "--output", tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(tiny_models["discriminator"] / "serving") in err and "generator" in err
    assert not (tmp_path / "out").exists()
