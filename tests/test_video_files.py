"""Which inputs colorize-video takes as videos (colordisc_tf.video.video_files)."""

import os

import pytest

from colordisc_tf.video.video_files import NOT_A_VIDEO, list_videos


def test_a_folders_files_count_only_when_named_like_videos(tmp_path):
    clips = tmp_path / "clips"
    (clips / "sub").mkdir(parents=True)
    for name in ("a.mp4", "B.MOV", "sub/c.webm", "still.png", "a.metrics.json"):
        (clips / name).write_bytes(b"")
    named = tmp_path / "named_like_an_image.png"  # named on the command line: FFmpeg judges it
    named.write_bytes(b"")

    videos, skipped = list_videos([str(clips), str(named)])

    assert videos == sorted([str(clips / "B.MOV"), str(clips / "a.mp4"), str(clips / "sub" / "c.webm"), str(named)])
    assert skipped == [(str(clips / "a.metrics.json"), NOT_A_VIDEO), (str(clips / "still.png"), NOT_A_VIDEO)]
    assert ".mp4" in NOT_A_VIDEO


def test_a_pattern_is_not_a_named_file_and_paths_come_back_absolute(tmp_path, monkeypatch):
    for name in ("x.mp4", "x.png"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.chdir(tmp_path)

    videos, skipped = list_videos(["x.*"])

    assert videos == [os.path.join(str(tmp_path), "x.mp4")]
    assert skipped == [(os.path.join(str(tmp_path), "x.png"), NOT_A_VIDEO)]


def test_an_input_that_matches_nothing_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="matches no files"):
        list_videos([str(tmp_path / "missing.mp4")])
