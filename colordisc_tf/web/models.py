"""The models behind the page, loaded once: the colorizer (its raw output kept, so the
temperature slider decodes again without the network), the discriminator that scores each
colorization and maps its realness, and the base / fine-tuned pair the toggle compares.

Every path takes the forms of every command's --model (colordisc_tf.serve.model_ref). The
defaults are what `make demo` pushes under saved_models/: the colorizer with realness (its
generator and discriminator in one SavedModel), and colordisc_generator +
colordisc_generator_finetuned for the toggle when both are there.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

from colordisc_tf.serve.model_ref import GeneratorNetwork, ModelRef, ModelRefused, load_generator_network, resolve_model

__all__ = ["DEFAULT_SERVING_ROOT", "Scorer", "PageModels", "default_paths", "load_page_models"]

DEFAULT_SERVING_ROOT = "saved_models"
_PIPELINE_NAME = "colordisc"  # pipelines' config.name: the pushed folders are <name>_<role>


@dataclasses.dataclass
class Scorer:
    """score(rgb (B, H, W, 3) uint8) -> (realness (B,), realness_map (B, h, w)), both in [0, 1],
    each image area-resized to the discriminator's serving size first, as its signatures score."""

    score: Callable
    source: str
    keep: object = None  # the SavedModel whose signature `score` calls


@dataclasses.dataclass
class PageModels:
    colorizer: GeneratorNetwork
    colorizer_name: str  # what --model resolved to, shown on the page
    scorer: Scorer | None
    compare: dict  # "base" / "fine-tuned" -> GeneratorNetwork; empty without both


def default_paths(serving_root: str = DEFAULT_SERVING_ROOT) -> dict:
    """The pushed folders `make demo` writes, by role."""
    return {role: os.path.join(serving_root, f"{_PIPELINE_NAME}_{role}")
            for role in ("colorizer_with_realness", "generator", "generator_finetuned", "discriminator")}


def _network(path: str, flag: str) -> tuple[ModelRef, GeneratorNetwork]:
    ref = resolve_model(path, "generator", flag)
    network = load_generator_network(ref)
    if network is None:
        raise ModelRefused(f"{ref.describe()} without the generator_output + settings signatures (an export older "
                           f"than this page): run `make demo` again, or pass the generator's model directory")
    return ref, network


def _scorer_of(ref: ModelRef) -> Scorer:
    """A discriminator's (or a colorizer with realness's discriminator's) scores, as its serving
    signature would score the PNG of each image."""
    import tensorflow as tf

    from colordisc_tf.serve.export import discriminator_lab

    if ref.keras is not None and ref.kind == "discriminator":
        from colordisc_tf.models.discriminator import realness
        from colordisc_tf.serve.saving import load_discriminator

        model, config = load_discriminator(ref.keras)

        def keras_scores(rgb):
            logits = model(discriminator_lab(rgb, config.serving_size), training=False)
            return realness(logits), tf.sigmoid(logits)[..., 0]

        return Scorer(keras_scores, ref.describe())
    if not {"score_lab", "settings"} <= set(ref.signatures):
        raise ModelRefused(f"{ref.describe()} without the score_lab + settings signatures: pass the discriminator's "
                           "pushed folder or model directory as --discriminator")
    loaded = tf.saved_model.load(ref.saved_model)
    settings = loaded.signatures["settings"]()
    size = int(settings["discriminator_size" if "discriminator_size" in settings else "model_size"])
    score_lab = loaded.signatures["score_lab"]

    def saved_scores(rgb):
        out = score_lab(lab=discriminator_lab(rgb, size))
        return out["realness"], out["realness_map"]

    return Scorer(saved_scores, ref.describe(), loaded)


def load_page_models(model: str | None = None, discriminator: str | None = None, base: str | None = None,
                     finetuned: str | None = None, serving_root: str = DEFAULT_SERVING_ROOT) -> PageModels:
    """The page's models. model: the colorizer (default: the pushed colorizer with realness);
    discriminator: scores it (default: the colorizer with realness's own, else none); base +
    finetuned: the toggle's pair (default: the pushed generator and fine-tuned generator, when
    both are pushed). Raises ModelRefused in one line naming the path."""
    defaults = default_paths(serving_root)
    ref, colorizer = _network(model or defaults["colorizer_with_realness"], "--model")
    if discriminator:
        scorer = _scorer_of(resolve_model(discriminator, "discriminator", "--discriminator"))
    elif ref.kind == "colorizer_with_realness":
        scorer = _scorer_of(ref)
    else:
        scorer = None
    if base is None and finetuned is None:
        pair = {"base": defaults["generator"], "fine-tuned": defaults["generator_finetuned"]}
        pair = pair if all(os.path.isdir(p) for p in pair.values()) else {}
    elif base is None or finetuned is None:
        raise ModelRefused("--base and --finetuned go together: the toggle shows one beside the other")
    else:
        pair = {"base": base, "fine-tuned": finetuned}
    compare = {role: _network(path, "--base" if role == "base" else "--finetuned")[1] for role, path in pair.items()}
    return PageModels(colorizer, ref.describe(), scorer, compare)
