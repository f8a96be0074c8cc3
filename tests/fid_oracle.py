"""pytorch-fid's network and CT2's image cut, as oracles (tests/reference/fid_inception_torch.py),
run once per (size, resize) in a subprocess and shared by the tests of a process.

They need torchvision and pytorch-fid, which live in a folder of their own: torchvision's PyPI
wheel is built for the CUDA torch and does not import beside the CPU torch of the venv (see
the script). The subprocess alone gets that folder on PYTHONPATH:

    .venv/bin/pip install --no-deps --target .venv/fid-oracle torchvision==0.28.0 pytorch-fid==0.3.0

(or set COLORDISC_FID_ORACLE to such a folder). Without it the tests that need it skip, saying so."""

import functools
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
ORACLE = pathlib.Path(os.environ.get("COLORDISC_FID_ORACLE", HERE.parent / ".venv" / "fid-oracle"))
INSTALL = f".venv/bin/pip install --no-deps --target {ORACLE} torchvision==0.28.0 pytorch-fid==0.3.0"


def raw_photos() -> list[np.ndarray]:
    """Photos of three shapes (square, 2:3, 427 x 640: odd crop offsets)."""
    from skimage import data

    return [data.astronaut(), data.coffee(), data.rocket()]


@functools.lru_cache(maxsize=None)
def _run(size: int, resize: bool) -> dict:
    return _oracle(raw_photos(), size, [] if resize else ["--no-resize"])


def _oracle(photos: list, size: int, options: list) -> dict:
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fid-oracle-"))
    np.savez(folder / "raw.npz", **{f"p{i:04d}": p for i, p in enumerate(photos)})
    command = [sys.executable, str(HERE / "reference" / "fid_inception_torch.py"), str(folder / "raw.npz"), str(size),
               str(folder)] + options
    run = subprocess.run(command, env=dict(os.environ, PYTHONPATH=str(ORACLE)), capture_output=True, text=True,
                         timeout=600)
    if run.returncode:
        return {"error": run.stderr[-3000:]}
    return {"photos": np.load(folder / "photos.npy"), "features": np.load(folder / "features.npy"),
            "state": options[options.index("--state") + 1] if "--state" in options else str(folder / "fid.pth")}


def _need_oracle() -> None:
    pytest.importorskip("torch")
    if not (ORACLE / "pytorch_fid").is_dir() or not (ORACLE / "torchvision").is_dir():
        pytest.skip(f"no pytorch-fid oracle in {ORACLE}: {INSTALL}")


def pytorch_fid(size: int, resize: bool) -> dict:
    """{"photos": CT2-cut photos (N, size, size, 3) uint8, "features": pytorch-fid's (N, 2048),
    "state": the random weights' .pth}; skips the test without torch or the oracle folder."""
    _need_oracle()
    result = _run(size, resize)
    assert "error" not in result, result.get("error")
    return result


def pytorch_fid_features(photos: list, state: str) -> np.ndarray:
    """pytorch-fid's features (N, 2048) of 256 x 256 photos with the weights in `state`."""
    _need_oracle()
    result = _oracle(photos, 256, ["--state", state])
    assert "error" not in result, result.get("error")
    return result["features"]
