"""Realness of image files: what `colordisc realness` scores and how `colordisc colorize
--realness` ranks its colorizations. Files are decoded as `preprocess` decodes them
(colorize_files.png_as_preprocess_decodes); a file that cannot be read gets its reason, not a score."""

from __future__ import annotations

__all__ = ["score_files", "rank_by_realness"]


def score_files(score, paths: list[str]) -> list[dict]:
    """`score`, a discriminator's serving_default (PNG bytes -> "realness"), on each file:
    [{"path", "realness"} or {"path", "error"}] in the order of `paths`."""
    import tensorflow as tf

    from colordisc_tf.data.image_io import ImageRejected
    from colordisc_tf.serve.colorize_files import png_as_preprocess_decodes, skip_reason

    rows = []
    for path in paths:
        try:
            out = score(images=tf.constant([png_as_preprocess_decodes(path)]))
            rows.append({"path": path, "realness": float(out["realness"].numpy()[0])})
        except (ImageRejected, OSError, tf.errors.OpError) as e:
            rows.append({"path": path, "error": skip_reason(e)})
    return rows


def rank_by_realness(written: dict, below: float | None = None) -> list[tuple[str, dict]]:
    """colorize_into's scored rows, least real first; with `below`, only those scoring under it."""
    ranked = sorted(written.items(), key=lambda item: item[1]["realness"])
    return ranked if below is None else [item for item in ranked if item[1]["realness"] < below]
