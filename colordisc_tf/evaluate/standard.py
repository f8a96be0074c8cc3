"""`colordisc evaluate`: a generator on a folder of photos under the frozen protocol
(colordisc_tf.evaluate.protocol), the field's metrics and this project's, resumable.

    names --decode, crop, resize (protocol)--> truth 256²
      --as serving colorizes it (the network at its model_size, ab upsampled to 256)--> colorized 256²
      -> per-image row (per_image) [+ Inception features of both, + realness of both]
      -> per_image.jsonl, features_*.f32 (run_store: a killed run resumes)
      -> metrics.json (summary) + index.html (page)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Callable

import numpy as np

from colordisc_tf.evaluate import protocol
from colordisc_tf.evaluate.per_image import measure
from colordisc_tf.evaluate.run_store import open_store, write_whole
from colordisc_tf.evaluate.summary import summarize

__all__ = ["EvaluationError", "evaluate_images", "NO_FID_WEIGHTS", "EXAMPLES"]

NO_FID_WEIGHTS = ("FID left out: no --fid-weights (pytorch-fid's pt_inception-2015-12-05-6726825d.pth, "
                  "which the project does not download)")
EXAMPLES = 6  # the first images of the list, gray | colorized | truth, on the page


class EvaluationError(ValueError):
    """An input the evaluation cannot use (list, weights, model, prior, folders), said in one line."""


def _sha256(path: str | None) -> str | None:
    if not path:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _model_files(ref) -> list[str]:
    """The files whose bytes are the model: its Keras file and config, or its SavedModel."""
    if ref is None:
        return []
    if ref.keras is not None:
        if not os.path.isdir(ref.keras):
            return [ref.keras]
        from colordisc_tf.serve.saving import DISCRIMINATOR_FILE, GENERATOR_FILE

        keras_file = GENERATOR_FILE if ref.kind == "generator" else DISCRIMINATOR_FILE
        return [os.path.join(ref.keras, f) for f in (keras_file, "config.json") if os.path.exists(os.path.join(ref.keras, f))]
    return sorted(os.path.join(root, f) for root, _, files in os.walk(ref.saved_model) for f in files)


def _settings(names, list_file, images_dir, model, fid_weights, discriminator, prior_path) -> dict:
    """What a resumed run must share with the one it resumes (model, discriminator: ModelRefs)."""
    return {
        "protocol": protocol.PROTOCOL,
        "images": os.path.abspath(images_dir),
        "list": list_file if list_file in (None, protocol.VAL5K) else os.path.abspath(list_file),
        "names_sha256": hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest(),
        "model": {p: _sha256(p) for p in map(os.path.abspath, _model_files(model))},
        "fid_weights": _sha256(fid_weights),
        "discriminator": {p: _sha256(p) for p in map(os.path.abspath, _model_files(discriminator))}
        if discriminator else None,
        "prior": _sha256(prior_path if prior_path is None or not os.path.isdir(prior_path)
                         else os.path.join(prior_path, "prior.npz")),
    }


#: serving_default requests of at most this many images (export's default bound is 32)
_REQUEST_IMAGES = 8


def _served_colorizer(ref):
    """(B, 256, 256, 3) uint8 truth -> (B, 256, 256, 3) uint8: what serving returns for each cut,
    and how it was computed (for metrics.json). A model directory or a SavedModel with
    generator_output + settings: the network through serve.inference.served_ab, the function
    serving_default runs; any other generator SavedModel (a colorizer with realness): its
    serving_default itself, on PNGs."""
    import tensorflow as tf

    from colordisc_tf.color.lab import luminance
    from colordisc_tf.serve import inference
    from colordisc_tf.serve.model_ref import load_generator_network

    network = load_generator_network(ref)
    if network is not None:
        @tf.function(reduce_retracing=True)
        def colorize(truth):
            l_full = luminance(truth)
            ab = inference.served_ab(network.raw, l_full, network.model_size, network.decoding)
            return inference.decode_to_rgb(l_full, ab)

        colorize.keep = network.keep
        return colorize, {"route": f"{network.source}, through colordisc_tf.serve.inference.served_ab (as "
                          "serving_default colorizes)", "model_size": network.model_size,
                          "decoding": dataclasses.asdict(network.decoding)}
    loaded = tf.saved_model.load(ref.saved_model)
    key = "colorized" if "colorized" in ref.signatures["serving_default"] else "colorized_bytes"

    def colorize_served(truth):
        pngs = [tf.io.encode_png(image) for image in truth]
        out = []
        for start in range(0, len(pngs), _REQUEST_IMAGES):
            answer = loaded.signatures["serving_default"](images=tf.stack(pngs[start:start + _REQUEST_IMAGES]))
            out += [tf.io.decode_png(png, channels=3).numpy() for png in answer[key].numpy()]
        return np.stack(out)

    return colorize_served, {"route": "the SavedModel's serving_default, on PNGs of the cuts", "model_size": None,
                             "decoding": None}


def _lab_parts(truth, colorized):
    """ab of the colorized and of the truth (both 8-bit sRGB) and the gray image (the truth's L)."""
    import tensorflow as tf

    from colordisc_tf.color.lab import srgb8_lab
    from colordisc_tf.serve import inference

    lab_true, lab_pred = srgb8_lab(truth), srgb8_lab(colorized)
    gray = inference.decode_to_rgb(lab_true[..., :1], tf.zeros_like(lab_true[..., 1:]))
    return lab_pred[..., 1:], lab_true[..., 1:], gray


def _decode(images_dir: str, name: str):
    """(truth uint8, None) or (None, one-line reason)."""
    from colordisc_tf.data.image_io import ImageRejected, decode_image

    try:
        with open(os.path.join(images_dir, name), "rb") as f:
            return protocol.prepare(decode_image(f.read())), None
    except ImageRejected as e:
        return None, f"{e.reason}: {e.detail}" if e.detail else e.reason
    except OSError as e:
        return None, f"unreadable: {e.strerror or e}"


def _save_pictures(folder: str, batch_names, colorized, truth, gray, example_index: dict, save_images: bool) -> None:
    from PIL import Image

    for name, pred, true, g in zip(batch_names, colorized, truth, gray):
        if name in example_index:
            os.makedirs(os.path.join(folder, "examples"), exist_ok=True)
            Image.fromarray(np.concatenate([g, pred, true], axis=1)).save(
                os.path.join(folder, "examples", f"{example_index[name]}.png"))
        if save_images:
            target = os.path.join(folder, "colorized", name + ".png")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            Image.fromarray(pred).save(target)


@dataclasses.dataclass
class _Models:
    """What measures a batch: the served colorizer, the Lab split, the realness (or None), FID's Inception (or None)."""

    colorize: Callable
    lab_parts: Callable
    score: Callable | None
    fid_model: object | None


def _measure_batch(batch: list[str], images_dir: str, models: _Models, save_pictures):
    """The batch's rows (an unreadable image: its reason) in its order, and the Inception features
    of its colorized and true images (None without FID)."""
    decoded = {name: _decode(images_dir, name) for name in batch}
    ok = [n for n in batch if decoded[n][0] is not None]
    rows = {n: {"image": n, "error": decoded[n][1]} for n in batch if decoded[n][0] is None}
    colorized_features = truth_features = None
    if ok:
        truth = np.stack([decoded[n][0] for n in ok])
        colorized = np.asarray(models.colorize(truth))
        ab_pred, ab_true, gray = (np.asarray(t) for t in models.lab_parts(truth, colorized))
        for i, name in enumerate(ok):
            rows[name] = {"image": name, **measure(colorized[i], truth[i], ab_pred[i], ab_true[i])}
        if models.score is not None:
            for name, fake, real in zip(ok, np.asarray(models.score(colorized)), np.asarray(models.score(truth))):
                rows[name].update(realness=float(fake), realness_truth=float(real))
        if models.fid_model is not None:
            both = models.fid_model.predict_on_batch(np.concatenate([colorized, truth]).astype(np.float32) / 255.0)
            colorized_features, truth_features = both[:len(ok)], both[len(ok):]
        save_pictures(ok, colorized, truth, gray)
    return [rows[n] for n in batch], colorized_features, truth_features


def _fid_note(fid_model, images: int) -> str | None:
    if not fid_model:
        return NO_FID_WEIGHTS
    if images < 2048:
        return (f"FID of {images} images (< 2048, the feature size: the covariances are rank-deficient); compare "
                "only with FIDs of the same images")
    return None


def _apart(images_dir: str, output_dir: str) -> None:
    """Refuses an --output inside --images (later evaluations would score its colorizations as
    photos) or holding it (--overwrite could delete the photos)."""
    images, output = os.path.realpath(images_dir), os.path.realpath(output_dir)
    if output == images or output.startswith(images.rstrip(os.sep) + os.sep):
        raise EvaluationError(f"--output {output_dir} is inside --images {images_dir}: a later evaluation would "
                              "measure its colorizations as photos; write it elsewhere")
    if images.startswith(output.rstrip(os.sep) + os.sep):
        raise EvaluationError(f"--images {images_dir} is inside --output {output_dir}: --overwrite could delete the "
                              "photos; write it elsewhere")


def _one_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def evaluate_images(model: str, images_dir: str, output_dir: str, list_file: str | None = None,
                    fid_weights: str | None = None, discriminator: str | None = None,
                    prior_path: str | None = None, batch_size: int = 8, overwrite: bool = False,
                    save_images: bool = False, log=print) -> dict:
    """Evaluates (or goes on evaluating) and writes output_dir/metrics.json and index.html;
    returns the metrics. model and discriminator take every --model form
    (colordisc_tf.serve.model_ref). See the module doc, and run_store for the folder."""
    if batch_size < 1:
        raise EvaluationError(f"--batch-size must be >= 1, got {batch_size}")
    _apart(images_dir, output_dir)  # before TensorFlow or any model loads: a mistake costs nothing
    import tensorflow as tf
    from tqdm import tqdm

    from colordisc_tf.data.color_prior import load_prior
    from colordisc_tf.evaluate.page import write_page
    from colordisc_tf.models.fid_inception import FID_FEATURES
    from colordisc_tf.serve.model_ref import load_realness, resolve_model

    try:
        names = protocol.list_images(images_dir, list_file)
        generator_ref = resolve_model(model, "generator")
        discriminator_ref = resolve_model(discriminator, "discriminator", "--discriminator") if discriminator else None
        fid_model = None
        if fid_weights:
            from colordisc_tf.models.fid_inception_import import import_fid_inception

            fid_model = import_fid_inception(fid_weights)
        colorize, route = _served_colorizer(generator_ref)
        score = tf.function(load_realness(discriminator_ref), reduce_retracing=True) if discriminator_ref else None
        prior = load_prior(prior_path).prior if prior_path else None
    except (ValueError, KeyError, ImportError) as e:  # a bad list, weights file, model folder or prior: the user's to fix
        raise EvaluationError(_one_line(e)) from None
    settings = _settings(names, list_file, images_dir, generator_ref, fid_weights, discriminator_ref, prior_path)
    models = _Models(colorize, tf.function(_lab_parts, reduce_retracing=True), score, fid_model)
    example_index = {name: i for i, name in enumerate(names[:EXAMPLES])}

    with open_store(output_dir, settings, FID_FEATURES if fid_model else None, overwrite) as store:
        done = store.done()
        todo = [n for n in names if n not in done]
        log(f"evaluate: {len(names)} images, {len(done)} done before" + (" (resuming)" if done else "")
            + f"; {generator_ref.describe()}, colorized as serving does at " + (f"{route['model_size']} px" if route["model_size"] else "its serving size")
            + f"; FID {'on' if fid_model else 'off'}; realness {'on' if score else 'off'} -> {output_dir}")
        with tqdm(total=len(names), initial=len(names) - len(todo), desc="evaluate", unit="image",
                  disable=None) as progress:
            for start in range(0, len(todo), batch_size):
                batch = todo[start:start + batch_size]
                store.append(*_measure_batch(batch, images_dir, models, lambda ok, colorized, truth, gray: _save_pictures(
                    store.folder, ok, colorized, truth, gray, example_index, save_images)))
                progress.update(len(batch))
        measured = [r for r in store.rows if "error" not in r]
        skipped = [r for r in store.rows if "error" in r]
        result = summarize(measured, prior, store.features())  # realness, when measured, is in the rows
        result.update(
            protocol=protocol.PROTOCOL,
            list=list_file or "every file under the images folder",
            listed=len(names),
            skipped=len(skipped),
            skipped_images=[{"image": r["image"], "reason": r["error"]} for r in skipped[:20]],
            model=os.path.abspath(generator_ref.keras or generator_ref.saved_model),
            model_found=generator_ref.describe(),
            colorized_by=route["route"],
            model_size=route["model_size"],
            decoding=route["decoding"],
            auc_rebalanced_prior=os.path.abspath(prior_path) if prior_path else "the evaluated truth images' own",
        )
        if _fid_note(fid_model, len(measured)):
            result["fid_note"] = _fid_note(fid_model, len(measured))
        write_whole(os.path.join(store.folder, "metrics.json"), json.dumps(result, indent=2))
        write_page(result, store.folder, sorted(example_index.values()))
    return result
