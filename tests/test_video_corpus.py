"""colorize-video on the formats users bring, made here at tiny sizes (tests/video_clips.py's
CORPUS): AVI with MPEG-4 Part 2 and AC-3, MJPEG with PCM, variable-rate H.264, phone rotations,
interlaced, odd sizes, 16 and 18 fps, MP3, HEVC 10-bit. With either temporal mode the output
has the source's frame count, frame times, orientation, size and audio duration."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from colordisc_tf.color import rgb_to_lab
from tests.video_clips import CORPUS, corpus_frames, decoded, write_corpus_clip


@pytest.fixture(scope="module")
def colorizer(tiny_models):
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer

    return load_frame_colorizer(str(tiny_models["generator"]))


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus")


def _source(corpus_dir, clip):
    path = corpus_dir / (clip.name + clip.suffix)
    if not path.exists():
        write_corpus_clip(path, clip)
    return path


def _lightness(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb_to_lab(rgb.astype(np.float32) / 255.0))[..., 0]


@pytest.mark.parametrize("temporal", ["none", "stable"])
@pytest.mark.parametrize("clip", CORPUS, ids=[c.name for c in CORPUS])
def test_output_keeps_frames_times_orientation_size_and_audio(clip, temporal, colorizer, corpus_dir, tmp_path):
    from colordisc_tf.video.colorize_video import VideoSettings, colorize_video, metrics_paths

    source = _source(corpus_dir, clip)
    before = decoded(source)
    output = tmp_path / f"{clip.name}.mp4"
    summary = colorize_video(str(source), str(output), colorizer, VideoSettings(temporal=temporal), progress=False)
    after = decoded(output)

    assert len(before["frames"]) == clip.frames
    assert len(after["frames"]) == clip.frames
    period = min(np.diff(before["times"]))
    assert np.abs(np.subtract(after["times"], before["times"])).max() < min(0.002, period / 2)
    h, w = clip.size
    assert after["frames"][0].shape[:2] == (h, w) and summary["size"] == [w, h]
    # the colours are the model's, the lightness is the source's: it shows which way up the picture is
    truth = [_lightness(f) for f in corpus_frames(clip)]
    upright = np.mean([np.abs(_lightness(f) - t).mean() for f, t in zip(after["frames"], truth)])
    upside_down = np.mean([np.abs(_lightness(f) - t[::-1, ::-1]).mean() for f, t in zip(after["frames"], truth)])
    assert upright < 4 and upright < upside_down / 3, (upright, upside_down)
    if clip.audio is None:
        assert after["audio"] is None
    else:
        assert summary["audio"]["written"] == clip.audio_out
        assert after["audio"] == ("aac" if clip.audio_out == "aac" else before["audio"])
        assert after["audio_seconds"] == pytest.approx(before["audio_seconds"], abs=0.05)
    assert summary["warnings"] == [] and summary["ended_early"] is None
    assert json.loads(open(metrics_paths(str(output))[0]).read())["frames"] == clip.frames


def test_the_phone_portrait_matrix_is_the_one_phones_write(corpus_dir):
    """The -90 clip's track header holds (0, 1, -1, 0), what a phone filming upright writes and
    players show turned clockwise: the corpus's rotations are real ones, not a convention of our own."""
    clip = next(c for c in CORPUS if c.rotation == -90)
    data = _source(corpus_dir, clip).read_bytes()
    at = data.index(b"tkhd") + 4 + 40  # type, version/flags and 36 bytes of times, ids, layer, volume
    a, b, _, c, d, _, _, _, _ = struct.unpack(">9i", data[at:at + 36])
    assert (a, b, c, d) == (0, 1 << 16, -(1 << 16), 0)
