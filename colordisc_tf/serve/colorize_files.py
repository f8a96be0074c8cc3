"""Image files in, a folder of PNGs out: what `colordisc colorize` and `colordisc realness` do
with a serving SavedModel (or a colorizer with realness), one file at a time.

Each input is decoded the way `preprocess` decodes it (Pillow: any format it reads, 16-bit,
ICC, EXIF) and sent to the signature as PNG, so a file that preprocessing accepts colorizes.
A file that cannot be read is skipped with a one-line reason; output names follow the
inputs' relative paths. Which SavedModel --model names: colordisc_tf.serve.model_ref.
"""

from __future__ import annotations

import os

from colordisc_tf.serve.model_ref import find_serving_dir  # noqa: F401 (where colordisc_tf.video imports it from)

__all__ = ["OVERLAY_SUFFIX", "MANIFEST", "png_as_preprocess_decodes", "skip_reason", "output_names", "colorize_into",
           "write_manifest"]


def png_as_preprocess_decodes(path: str) -> bytes:
    """The file decoded the way `preprocess` decodes it (Pillow: any format it reads, 16-bit,
    ICC, EXIF), as 8-bit PNG bytes for a serving signature. Raises ImageRejected or OSError."""
    import io

    from PIL import Image

    from colordisc_tf.data.image_io import decode_image

    with open(path, "rb") as f:
        rgb = decode_image(f.read())
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def skip_reason(error) -> str:
    """One line saying why a file was skipped (ImageRejected, OSError or a TF op error)."""
    text = f"{error.reason}: {error.detail}" if hasattr(error, "reason") else getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0]


#: What a colorization's realness overlay is named: <the colorization's stem> + this.
OVERLAY_SUFFIX = ".realness.png"
#: The output folder's index: which input is which output (JSON lines).
MANIFEST = "colorized.jsonl"


def output_names(paths: list[str], suffix: str = ".png") -> dict[str, str]:
    """Input path -> output path relative to the output folder: the input's path relative
    to the inputs' common folder (so a/photo.jpg and b/photo.jpg stay apart), with `suffix`;
    photo.jpg + photo.png in one folder keep their extensions (photo_jpg.png, photo_png.png).
    No two inputs share a colorization or an overlay name (<stem>.realness.png), whatever the
    inputs are called (a.jpg + a.png + a_jpg.png, x.png + x.realness.jpg, A.png + a.png on a
    case-insensitive disk): a clash takes -2, -3, ... in the order of the sorted inputs."""
    if len(paths) == 1:
        stems = {paths[0]: os.path.splitext(os.path.basename(paths[0]))[0]}
    else:
        common = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in paths])
        stems = {p: os.path.splitext(os.path.relpath(os.path.abspath(p), common))[0] for p in paths}
        taken = {}
        for path, stem in stems.items():
            taken.setdefault(stem, []).append(path)
        stems = {p: stem + "_" + os.path.splitext(p)[1].lstrip(".") if len(taken[stem]) > 1 else stem
                 for p, stem in stems.items()}
    used, names = set(), {}
    for path in sorted(stems):
        stem = candidate = stems[path]
        copy = 1
        while {(candidate + suffix).lower(), (candidate + OVERLAY_SUFFIX).lower()} & used:
            copy += 1
            candidate = f"{stem}-{copy}"
        used |= {(candidate + suffix).lower(), (candidate + OVERLAY_SUFFIX).lower()}
        names[path] = candidate + suffix
    return names


def colorize_into(out, paths: list[str], names: dict, serve, score=None) -> tuple[dict, list]:
    """Writes each colorization (and with `score`, a discriminator's signature, its realness overlay
    <name>.realness.png); returns ({input: {"output", ["realness", "overlay"]}}, [(input, reason)])."""
    import io

    import numpy as np
    import tensorflow as tf
    from PIL import Image
    from tqdm import tqdm

    from colordisc_tf.data.image_io import ImageRejected
    from colordisc_tf.serve.overlay import realness_overlay

    written, skipped = {}, []
    for path in tqdm(paths, desc="colorize", unit="image", disable=None):
        try:
            result = serve(images=tf.constant([png_as_preprocess_decodes(path)]))
            png = result["colorized"].numpy()[0]
            scored = score(images=tf.constant([png])) if score is not None else None
        except (ImageRejected, OSError, tf.errors.OpError) as e:
            skipped.append((path, skip_reason(e)))
            continue
        target = out / names[path]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png)
        row = {"output": names[path]}
        if "temperature" in result:  # guided decoding: the temperature the discriminator picked
            row["temperature"] = round(float(result["temperature"].numpy()[0]), 4)
        if scored is not None:
            overlay_name = os.path.splitext(names[path])[0] + OVERLAY_SUFFIX
            rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
            Image.fromarray(realness_overlay(rgb, scored["realness_map"].numpy()[0])).save(out / overlay_name)
            row.update(realness=round(float(scored["realness"].numpy()[0]), 6), overlay=overlay_name)
        written[path] = row
    return written, skipped


def write_manifest(folder, written: dict, output: str) -> None:
    """<folder>/colorized.jsonl from colorize_into's rows: one line per colorization with the input's
    absolute path, its output and overlay as paths under `output` (the folder's final name: `folder`
    may be the staging folder it is renamed from), and the row's other fields as they are."""
    import json

    with open(os.path.join(folder, MANIFEST), "w") as f:
        for path, row in written.items():
            paths = {k: os.path.join(output, v) for k, v in row.items() if k in ("output", "overlay")}
            f.write(json.dumps({"input": os.path.abspath(path), **{**row, **paths}}) + "\n")
