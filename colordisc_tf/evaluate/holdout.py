"""Colorizers side by side on a folder of photos, against leaving them grey.

Each photo is cut as the evaluation protocol cuts it (centred square, 256 px), and each
generator colorizes it the way serving does (`colorize_rgb` at the generator's own
`serving_size`, ab upsampled to the cut). "grey" is the photo with ab = 0: the floor every
colorizer must beat. Raw and rebalanced AuC pool the pixels of all photos; CF is the mean
colourfulness, ΔCF = |mean CF - mean CF of the truth| (the field's), PSNR and SSIM the means over
photos: colordisc_tf.evaluate.measures, as every evaluation measures.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw

from colordisc_tf.color.srgb8 import srgb8_to_lab
from colordisc_tf.evaluate import measures
from colordisc_tf.evaluate.measures import Images, measure_images
from colordisc_tf.evaluate.protocol import prepare

__all__ = ["GREY", "colorize_all", "compare", "contact_sheet", "grey_cuts", "load_cuts", "photo_auc_raw", "raw_once",
           "score", "served_cut"]

GREY = "grey"


def grey_cuts(photos: list[np.ndarray]) -> list[np.ndarray]:
    """Each cut with ab = 0: the floor every colorizer must beat."""
    return [_grey(p) for p in photos]


def _grey(rgb: np.ndarray) -> np.ndarray:
    from colordisc_tf.color.srgb8 import lab_to_srgb8

    lab = srgb8_to_lab(rgb)
    lab[..., 1:] = 0.0
    return lab_to_srgb8(lab)


def colorize_all(model: str | None, photos: list[np.ndarray]) -> list[np.ndarray]:
    """Each (256, 256, 3) uint8 cut colorized as serving colorizes it. `model`: any form --model
    takes (colordisc_tf.serve.model_ref); None: grey."""
    if model is None:
        return grey_cuts(photos)
    from colordisc_tf.serve.model_ref import ModelRefused, load_generator_network, resolve_model

    network = load_generator_network(resolve_model(model, "generator"))
    if network is None:
        raise ModelRefused(f"{model}: a SavedModel without generator_output + settings; give its model directory")
    return [served_cut(network.raw, rgb, network.model_size, network.decoding) for rgb in photos]


def raw_once(network):
    """key -> (L -> network.raw(L)), each key's network run kept: decode one output many ways (the
    chroma-gain fit, benchmarks/starter_decoding) without running the network again."""
    kept: dict = {}

    def of(key):
        def raw(l_small):
            if key not in kept:
                kept[key] = np.asarray(network.raw(l_small))
            return kept[key]
        return raw
    return of


def served_cut(raw, rgb: np.ndarray, model_size: int, decoding) -> np.ndarray:
    """One cut colorized as serving colorizes it: `raw` (L (1, s, s, 1) -> the network's raw output)
    at s = model_size, decoded per `decoding`, ab upsampled and joined to the cut's L (8-bit sRGB)."""
    from colordisc_tf.color.lab import luminance
    from colordisc_tf.serve.inference import lab_to_uint8_rgb, served_ab

    l_full = luminance(rgb[None])
    ab = served_ab(raw, l_full, model_size, decoding)
    return np.asarray(lab_to_uint8_rgb(np.concatenate([np.asarray(l_full), np.asarray(ab)], -1)))[0]


#: the margins over grey that carry a paired interval (compare's "vs_grey")
VS_GREY = ("auc_raw", "auc_rebalanced", "psnr")


def _values(preds: list[np.ndarray], truths: list[np.ndarray], prior, only=None) -> dict:
    ab_pred, ab_true = (np.stack([srgb8_to_lab(x)[..., 1:] for x in xs]) for xs in (preds, truths))
    return measure_images(Images(np.stack(preds), np.stack(truths), ab_pred, ab_true, prior), only)


def photo_auc_raw(preds: list[np.ndarray], truths: list[np.ndarray]) -> np.ndarray:
    """(N,) each photo's own raw AuC (%): which photos a pooled margin comes from."""
    return measures.per_image_auc(_values(preds, truths, None, only={"auc"}))


def _scores(values: dict) -> dict:
    summary = measures.summarize(values)
    return {"auc_raw": summary["auc_raw"], "auc_rebalanced": summary["auc_rebalanced"], "cf": summary["colorfulness"],
            "cf_truth": summary["colorfulness_truth"], "delta_cf": summary["delta_cf"], "psnr": summary["psnr"],
            "ssim": summary.get("ssim"), "images": summary["images"]}


def _vs_grey(grey: dict, values: dict) -> dict:
    """model − grey of each VS_GREY metric with its paired interval: with a handful of photos, a
    margin of a few points can be one photo's doing, and the interval says so."""
    differences = measures.paired_differences(grey, values, skip=set(measures.statistics(grey)) - set(VS_GREY))
    return {key: differences[key] for metric in VS_GREY for key in (metric, f"{metric}_ci")}


def load_cuts(paths: list[str]) -> list[np.ndarray]:
    return [prepare(np.asarray(Image.open(p).convert("RGB"))) for p in paths]


def score(colorized: dict[str, list[np.ndarray]], truths: list[np.ndarray], prior) -> dict:
    """{name: scores} of each name's colorized cuts against the truths. With GREY among the names,
    every other name's scores hold "vs_grey": its margins over grey, each with a paired bootstrap
    interval over the photos (None under 2 photos)."""
    values = {name: _values(preds, truths, prior) for name, preds in colorized.items()}
    scores = {name: _scores(v) for name, v in values.items()}
    if GREY in values:
        for name in scores:
            if name != GREY:
                scores[name]["vs_grey"] = _vs_grey(values[GREY], values[name])
    return scores


def compare(models: dict[str, str | None], paths: list[str], prior) -> tuple[dict, dict]:
    """({name: scores}, {name: colorized cuts}) for each named model (any --model form; None: grey),
    scored as `score` scores them."""
    truths = load_cuts(paths)
    colorized = {name: colorize_all(model_dir, truths) for name, model_dir in models.items()}
    return score(colorized, truths, prior), {**colorized, "truth": truths}


def contact_sheet(colorized: dict[str, list[np.ndarray]], names: list[str], path: str, tile: int = 160) -> str:
    """One row a photo, one column a colorizer (in dict order), titled; written as JPEG/PNG."""
    columns = list(colorized)
    label = 18
    sheet = Image.new("RGB", (tile * len(columns), label + tile * len(names)), "white")
    draw = ImageDraw.Draw(sheet)
    for c, column in enumerate(columns):
        draw.text((c * tile + 4, 3), column, fill="black")
        for r, image in enumerate(colorized[column]):
            sheet.paste(Image.fromarray(image).resize((tile, tile), Image.BILINEAR), (c * tile, label + r * tile))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    sheet.save(path, quality=90)
    return path
