"""Input listing without Beam (colordisc_tf.data.input_files): local globs list what Beam's own
matcher listed (Beam is the oracle here), folders are walked as before, and listing loads no Beam."""

import os
import subprocess
import sys

import pytest

from colordisc_tf.data.input_files import expand_inputs

PATTERNS = ["*.jpg", "*", "**", "**.png", "a/*", "a/**", "?.jpg", "[xy].jpg", "[!x].jpg", "a/*/c*.png", "a/b/",
            "nested*/**/*.jpg", ".hidden*", "x.jpg", "missing*.png"]


@pytest.fixture
def tree(tmp_path):
    for name in ["x.jpg", "y.jpg", "z.png", ".hidden.jpg", "a/one.jpg", "a/b/cat.png", "a/b/dog.png", "a/d/cow.png",
                 "nested1/deep/er/p.jpg", "we[ird].jpg"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return tmp_path


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_local_glob_lists_what_beam_listed(tree, pattern):
    from apache_beam.io.filesystems import FileSystems

    full = os.path.join(str(tree), pattern)
    beams = sorted(m.path for r in FileSystems.match([full]) for m in r.metadata_list)
    if not beams:
        with pytest.raises(FileNotFoundError, match="matches no files"):
            expand_inputs([full])
    else:
        assert expand_inputs([full]) == beams


def test_folders_and_files_and_no_beam_loaded(tree):
    probe = ("import sys; from colordisc_tf.data.input_files import expand_inputs; "
             f"print(len(expand_inputs([{str(tree)!r}, {str(tree / 'x.jpg')!r}, {str(tree / '*.png')!r}]))); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('apache_beam', 'tensorflow', 'tfx')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["10", "[]"]


def test_the_old_import_names_still_work():
    from colordisc_tf.data import preprocess

    assert preprocess.expand_inputs is expand_inputs
