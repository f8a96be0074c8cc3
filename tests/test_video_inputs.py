"""colorize-video on inputs that are not what they seem: a file cut short, an image named like
a video, frames over the pixel bound, repeated frame times, audio MP4 cannot take, FFmpeg
failing part-way. Each is written or listed with its reason; the batch goes on."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.video_clips import pan, photo, probe, write_cut_short, write_repeated_times, write_video

SIZE = (32, 48)


@pytest.fixture(scope="module")
def frames():
    return pan(photo("chelsea"), size=SIZE, frames=48, step=(0.5, 0.75))


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory, frames):
    path = tmp_path_factory.mktemp("small") / "small.mp4"
    write_video(path, frames[:6], rate=12, audio=False)
    return path


def _cli(*args):
    from pipelines.cli import main

    return main(["colorize-video", *map(str, args)])


def _metrics(path):
    return json.loads(path.with_suffix(".metrics.json").read_text())


def test_a_file_cut_short_is_written_as_far_as_it_decodes_and_says_so(tiny_models, frames, tmp_path, capsys):
    announced = write_cut_short(tmp_path / "cut.mp4", frames)
    assert _cli(tmp_path / "cut.mp4", "--model", tiny_models["generator"], "--output", tmp_path / "out") == 0
    written = probe(tmp_path / "out" / "cut.mp4")["frames"]
    assert 0 < written < announced
    said = f"ended after {written} of {announced} frames"
    out, err = capsys.readouterr()
    assert said in out and said in err
    metrics = _metrics(tmp_path / "out" / "cut.mp4")
    assert metrics["frames"] == written and metrics["frames_announced"] == announced
    assert metrics["ended_early"].startswith(said) and metrics["warnings"][0].startswith(said)


def test_an_image_named_like_a_video_is_refused_with_a_pointer_to_colorize(tiny_models, small_clip, frames, tmp_path,
                                                                          capsys):
    for name, kind in (("clip.mp4", ".png"), ("photo.avi", ".jpg")):
        (tmp_path / name).write_bytes(cv2.imencode(kind, frames[0][..., ::-1])[1].tobytes())
    (tmp_path / "small.mp4").write_bytes(small_clip.read_bytes())
    assert _cli(tmp_path / "clip.mp4", tmp_path / "photo.avi", tmp_path / "small.mp4",
                "--model", tiny_models["generator"], "--output", tmp_path / "out") == 0
    err = capsys.readouterr().err
    for name in ("clip.mp4", "photo.avi"):
        line = next(line for line in err.splitlines() if name in line)
        assert "an image, not a video" in line and "colordisc colorize" in line
    assert probe(tmp_path / "out" / "small.mp4")["frames"] == 6  # the video after them is written


def test_frames_over_max_pixels_are_refused_and_the_rest_go_on(tiny_models, small_clip, frames, tmp_path, capsys):
    big = [cv2.resize(f, (96, 64)) for f in frames[:3]]
    write_video(tmp_path / "big.mp4", big, audio=False)
    (tmp_path / "small.mp4").write_bytes(small_clip.read_bytes())
    assert _cli(tmp_path / "big.mp4", tmp_path / "small.mp4", "--model", tiny_models["generator"],
                "--output", tmp_path / "out", "--max-pixels", 48 * 32) == 0
    err = capsys.readouterr().err
    assert "big.mp4: frames of 96x64 (0.0 MP) are over the 0.001536 MP bound (--max-pixels)" in err
    assert probe(tmp_path / "out" / "small.mp4")["frames"] == 6
    assert _cli(small_clip, "--model", tiny_models["generator"], "--output", tmp_path / "o2", "--max-pixels", 0) == 2


def test_big_frames_go_through_the_network_fewer_at_a_time():
    from colordisc_tf.constants import DEFAULT_MAX_PIXELS
    from colordisc_tf.video.colorize_video import frames_per_batch

    assert frames_per_batch(8, 1280 * 720) == 8
    assert frames_per_batch(8, 3840 * 2160) == 1
    assert frames_per_batch(8, DEFAULT_MAX_PIXELS) == 1


def test_the_313_bins_stay_on_the_network_grid_whatever_the_frame_size(monkeypatch):
    """A big frame costs its L and its upsampled ab, not frame x 313: the network's distribution
    is decoded (and, in stable, carried) on its 1/4 grid, and only ab reaches the frame's size."""
    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.video import frame_colorizer
    from colordisc_tf.video.temporal import TemporalState

    seen = []
    decode = frame_colorizer.decode_ab

    def spy(output, size, decoding):
        seen.append(tuple(output.shape))
        return decode(output, size, decoding)

    monkeypatch.setattr(frame_colorizer, "decode_ab", spy)
    network = lambda l: np.zeros((len(l), 8, 8, 313), np.float32)  # noqa: E731 -- model_size 32: a 8x8 grid
    colorizer = frame_colorizer.FrameColorizer(network, Decoding(), 32)
    frame = np.zeros((2, 600, 900, 3), np.uint8)
    for mode in ("none", "stable"):
        rgb, gray = colorizer.colorize(frame, TemporalState(mode))
        assert rgb.shape == (2, 600, 900, 3) and gray.shape == (2, 600, 900)
    assert seen == [(2, 8, 8, 313)] * 2


def test_repeated_frame_times_are_moved_on_one_tick_and_counted(tiny_models, frames, tmp_path, capsys):
    write_repeated_times(tmp_path / "repeat.mkv", frames[:5], [0, 40, 40, 80, 120])
    assert _cli(tmp_path / "repeat.mkv", "--model", tiny_models["generator"], "--output", tmp_path / "out") == 0
    import av

    with av.open(str(tmp_path / "out" / "repeat.mp4")) as container:
        times = [float(f.time) for f in container.decode(video=0)]
    assert len(times) == 5 and np.all(np.diff(times) > 0)
    np.testing.assert_allclose(times, [0, 0.04, 0.04, 0.08, 0.12], atol=1e-4)
    warning = "1 frame times did not move forward"
    assert warning in _metrics(tmp_path / "out" / "repeat.mp4")["warnings"][0]
    assert warning in capsys.readouterr().err


def test_audio_mp4_will_not_copy_is_re_encoded_and_audio_it_cannot_write_is_dropped(tiny_models, frames, tmp_path,
                                                                                   monkeypatch, capsys):
    """MP3 at 8 kHz: MP4 refuses to copy it (FFmpeg: "not standard"), so it becomes AAC. And
    when nothing works (here: the same file with re-encoding taken away), the video goes without
    its audio, with a warning in the metrics and on the terminal; never a traceback."""
    from colordisc_tf.video import video_io

    write_video(tmp_path / "mp3.mkv", frames[:6], audio_codec="libmp3lame", audio_rate=8000)
    assert _cli(tmp_path / "mp3.mkv", "--model", tiny_models["generator"], "--output", tmp_path / "out") == 0
    metrics = _metrics(tmp_path / "out" / "mp3.mp4")
    assert (metrics["audio"]["source"], metrics["audio"]["written"]) == ("mp3", "aac")
    assert metrics["audio"]["notes"][0].startswith("audio copy refused by MP4")
    assert probe(tmp_path / "out" / "mp3.mp4")["audio"] == "aac"

    capsys.readouterr()
    monkeypatch.setattr(video_io, "_audio_modes", lambda source: ["copy", "none"])
    assert _cli(tmp_path / "mp3.mkv", "--model", tiny_models["generator"], "--output", tmp_path / "silent") == 0
    metrics = _metrics(tmp_path / "silent" / "mp3.mp4")
    assert metrics["audio"]["written"] is None
    [warning] = metrics["warnings"]
    assert warning.startswith("audio dropped (audio copy refused by MP4") and "8000hz is not standard" in warning
    assert probe(tmp_path / "silent" / "mp3.mp4")["audio"] is None
    assert probe(tmp_path / "silent" / "mp3.mp4")["frames"] == 6
    assert "mp3.mkv: audio dropped" in capsys.readouterr().err


def test_an_ffmpeg_error_part_way_skips_that_video_and_the_next_goes_on(tiny_models, small_clip, tmp_path,
                                                                        monkeypatch, capsys):
    import av

    from colordisc_tf.video import video_io

    finish = video_io.Mp4Writer.finish

    def fails_once(self):
        if "first" in self.final_path:
            raise av.error.ArgumentError(22, "Invalid argument", self.path)
        return finish(self)

    (tmp_path / "in").mkdir()
    for name in ("first.mp4", "second.mp4"):
        (tmp_path / "in" / name).write_bytes(small_clip.read_bytes())
    monkeypatch.setattr(video_io.Mp4Writer, "finish", fails_once)
    assert _cli(tmp_path / "in", "--model", tiny_models["generator"], "--output", tmp_path / "out") == 0
    out, err = capsys.readouterr()
    assert "first.mp4: FFmpeg failed: Invalid argument" in err and "1 written, 1 skipped" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["second.metrics.json", "second.metrics.png",
                                                                     "second.mp4"]
