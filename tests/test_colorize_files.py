"""The colorize output folder's index, colorized.jsonl (colordisc_tf.serve.colorize_files.write_manifest)."""

import json
import os

from colordisc_tf.serve.colorize_files import MANIFEST, write_manifest


def test_the_manifest_names_final_paths_not_the_staging_folder(tmp_path, monkeypatch):
    staging, final = tmp_path / ".staging", tmp_path / "out"
    staging.mkdir()
    monkeypatch.chdir(tmp_path)
    written = {"photos/a.jpg": {"output": "a.png", "temperature": 0.31},
               "/abs/b.png": {"output": "sub/b.png", "realness": 0.25, "overlay": "sub/b.realness.png"}}

    write_manifest(str(staging), written, str(final))

    lines = [json.loads(line) for line in (staging / MANIFEST).read_text().splitlines()]
    assert MANIFEST == "colorized.jsonl"
    assert lines == [
        {"input": os.path.join(str(tmp_path), "photos", "a.jpg"), "output": str(final / "a.png"), "temperature": 0.31},
        {"input": "/abs/b.png", "output": str(final / "sub" / "b.png"), "realness": 0.25,
         "overlay": str(final / "sub" / "b.realness.png")},
    ]
    assert list(lines[1]) == ["input", "output", "realness", "overlay"]  # the row's order, as before the move
