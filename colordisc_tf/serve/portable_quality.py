"""What an int8 file costs against its float32 twin, measured on photos, and the bounds `colordisc
export --quantize int8` holds it to (per-value equality cannot hold for int8).

    generator       raw and rebalanced AuC (points of %) and the mean per-image ΔCF, each file's
                    colorization against the photos' own colours; cost = float − int8 for AuC,
                    int8 − float for ΔCF (positive: int8 is worse)
    discriminator   realness of the photos (real) and of their grey versions (ab = 0), each
                    file; cost = the mean |float − int8| realness

The photos: the bundled demo photos (colordisc_tf.data.demo_photos; every other one calibrates
the int8 activations, the rest measure) and a held-out folder the user names, each centre-cropped
to the model's serving size. The rebalanced AuC weighs each pixel by 1 / the share of its true
bin among the measured photos' pixels (their own rarity: no training prior travels with a file).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

__all__ = ["QuantizationBounds", "calibration_photos", "measured_photos", "folder_photos", "quantization_cost",
           "over_bounds"]

_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclasses.dataclass(frozen=True)
class QuantizationBounds:
    """The most an int8 file may cost (module docstring): AuC in points of %, ΔCF in
    colourfulness units (0..~150 on 8-bit sRGB), realness in its 0..1 scale."""

    auc_points: float = 0.5
    delta_cf: float = 2.0
    realness: float = 0.02


def _bundled():
    from colordisc_tf.data.demo_photos import DEMO_PHOTO_NAMES, load_demo_photos

    photos = load_demo_photos()
    return [photos[name] for name in DEMO_PHOTO_NAMES]


def calibration_photos() -> list[np.ndarray]:
    """The bundled photos that calibrate int8 activations (every other one, from the first)."""
    return _bundled()[::2]


def measured_photos() -> list[np.ndarray]:
    """The bundled photos the cost is measured on (the others)."""
    return _bundled()[1::2]


def folder_photos(folder: str) -> list[np.ndarray]:
    """Every image file directly in `folder`, decoded to RGB; ValueError naming the folder or the
    file that is not an image."""
    from colordisc_tf.data.image_io import ImageRejected, decode_image

    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: not a folder (the held-out photos to measure int8's colour cost on)")
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(_IMAGE_EXTENSIONS))
    if not names:
        raise ValueError(f"{folder}: no image files ({', '.join(_IMAGE_EXTENSIONS)}) to measure int8's colour cost on")
    photos = []
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            try:
                photos.append(decode_image(f.read()))
            except ImageRejected as e:
                raise ValueError(f"{os.path.join(folder, name)}: not a readable image ({e.reason})") from None
    return photos


def model_inputs(role: str, photos, size: int) -> list[np.ndarray]:
    """Each photo centre-cropped to size² as the file's input: L [1, s, s, 1] for a generator,
    Lab [1, s, s, 3] for a discriminator."""
    from colordisc_tf.color.srgb8 import srgb8_to_lab
    from colordisc_tf.data.image_io import resize_and_center_crop

    labs = [srgb8_to_lab(resize_and_center_crop(np.asarray(p)[..., :3], size))[None] for p in photos]
    return [lab[..., :1] if role == "generator" else lab for lab in labs]


def _colour_scores(run, labs) -> dict:
    from colordisc_tf import metrics
    from colordisc_tf.color.bins import NUM_BINS, nearest_bin
    from colordisc_tf.color.srgb8 import lab_to_srgb8

    truth = np.concatenate([lab[..., 1:] for lab in labs])
    pred = np.concatenate([run(L=lab[..., :1])["ab"] for lab in labs])
    shares = np.bincount(nearest_bin(truth).ravel(), minlength=NUM_BINS) / truth[..., 0].size
    rgb_true = lab_to_srgb8(np.concatenate(labs))
    rgb_pred = lab_to_srgb8(np.concatenate([np.concatenate(labs)[..., :1], pred], axis=-1))
    return {"auc_raw": metrics.auc_raw_accuracy(pred, truth), "auc_rebalanced": metrics.auc_rebalanced(pred, truth, shares),
            "per_image_delta_cf": float(np.mean(metrics.delta_colorfulness(rgb_pred, rgb_true)))}


def _realness(run, labs) -> np.ndarray:
    grey = [np.concatenate([lab[..., :1], np.zeros_like(lab[..., 1:])], axis=-1) for lab in labs]
    return np.concatenate([run(lab=x)["realness"] for x in [*labs, *grey]])


def quantization_cost(role: str, float_run, int8_run, photos, size: int) -> dict:
    """{measure: {"float", "int8", "cost"}} on `photos` at size² (the module docstring)."""
    labs = model_inputs("discriminator", photos, size)  # Lab: the generator's truth is its ab
    if role == "generator":
        want, got = _colour_scores(float_run, labs), _colour_scores(int8_run, labs)
        sign = {"auc_raw": 1, "auc_rebalanced": 1, "per_image_delta_cf": -1}
        return {k: {"float": want[k], "int8": got[k], "cost": sign[k] * (want[k] - got[k])} for k in want}
    want, got = _realness(float_run, labs), _realness(int8_run, labs)
    return {"realness": {"float": float(want.mean()), "int8": float(got.mean()),
                         "cost": float(np.abs(want - got).mean())}}


def over_bounds(cost: dict, bounds: QuantizationBounds) -> list[str]:
    """Each measure whose cost is over its bound, in words ("raw AuC 45.10 -> 44.32: 0.78 points,
    allowed 0.5"); empty when int8 is within every bound."""
    limits = {"auc_raw": ("raw AuC", bounds.auc_points, "points"),
              "auc_rebalanced": ("rebalanced AuC", bounds.auc_points, "points"),
              "per_image_delta_cf": ("ΔCF", bounds.delta_cf, ""),
              "realness": ("mean |realness difference|", bounds.realness, "")}
    over = []
    for key, values in cost.items():
        words, limit, unit = limits[key]
        if not values["cost"] <= limit:
            over.append(f"{words} {values['float']:.2f} -> {values['int8']:.2f}: {values['cost']:.2f}"
                        f"{' ' + unit if unit else ''}, allowed {limit:g}")
    return over
