"""`colordisc evaluate`: a generator on a folder of photos under the frozen protocol
(colordisc_tf.evaluate.protocol), the field's metrics and this project's, resumable.

    names --decode, crop, resize (protocol)--> truth 256² --L--> generator --ab--> colorized 256²
      -> per-image row (per_image) [+ Inception features of both, + realness of both]
      -> per_image.jsonl, features_*.f32 (run_store: a killed run resumes)
      -> metrics.json (summary) + index.html (page)
"""

from __future__ import annotations

import hashlib
import json
import os

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
    """An input the evaluation cannot use (list, weights, model, prior), said in one line."""


def _sha256(path: str | None) -> str | None:
    if not path:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _model_files(path: str, keras_file: str) -> list[str]:
    if not os.path.isdir(path):
        return [path]
    return [os.path.join(path, f) for f in (keras_file, "config.json") if os.path.exists(os.path.join(path, f))]


def _settings(names, list_file, images_dir, model_dir, fid_weights, discriminator_dir, prior_path) -> dict:
    """What a resumed run must share with the one it resumes."""
    from colordisc_tf.serve.saving import DISCRIMINATOR_FILE, GENERATOR_FILE

    return {
        "protocol": protocol.PROTOCOL,
        "images": os.path.abspath(images_dir),
        "list": list_file if list_file in (None, protocol.VAL5K) else os.path.abspath(list_file),
        "names_sha256": hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest(),
        "model": {p: _sha256(p) for p in map(os.path.abspath, _model_files(model_dir, GENERATOR_FILE))},
        "fid_weights": _sha256(fid_weights),
        "discriminator": {p: _sha256(p) for p in map(os.path.abspath, _model_files(discriminator_dir, DISCRIMINATOR_FILE))}
        if discriminator_dir else None,
        "prior": _sha256(prior_path if prior_path is None or not os.path.isdir(prior_path)
                         else os.path.join(prior_path, "prior.npz")),
    }


def _batch_step(generator, decoding):
    """truth (B, 256, 256, 3) uint8 -> colorized uint8, predicted ab, true ab, gray uint8 (tf.function)."""
    import tensorflow as tf

    from colordisc_tf import color
    from colordisc_tf.serve import inference

    @tf.function(reduce_retracing=True)
    def step(truth):
        lab = color.rgb_to_lab(tf.cast(truth, tf.float32) / 255.0)
        l_chan, ab_true = lab[..., :1], lab[..., 1:]
        ab_pred = inference.predict_ab(generator, l_chan, decoding)
        return (inference.decode_to_rgb(l_chan, ab_pred), ab_pred, ab_true,
                inference.decode_to_rgb(l_chan, tf.zeros_like(ab_true)))

    return step


def _realness_step(discriminator, size: int):
    """(B, H, W, 3) uint8 -> (B,) realness, each image seen as the discriminator's serving signature sees it."""
    import tensorflow as tf

    from colordisc_tf.models.discriminator import realness
    from colordisc_tf.serve.export import discriminator_lab

    @tf.function(reduce_retracing=True)
    def score(rgb):
        return realness(discriminator(discriminator_lab(rgb, size), training=False))

    return score


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


def evaluate_images(model_dir: str, images_dir: str, output_dir: str, list_file: str | None = None,
                    fid_weights: str | None = None, discriminator_dir: str | None = None,
                    prior_path: str | None = None, batch_size: int = 8, overwrite: bool = False,
                    save_images: bool = False, log=print) -> dict:
    """Evaluates (or goes on evaluating) and writes output_dir/metrics.json and index.html;
    returns the metrics. See the module doc, and run_store for the folder."""
    from tqdm import tqdm

    from colordisc_tf.data.prior import load_prior
    from colordisc_tf.evaluate.page import write_page
    from colordisc_tf.models.fid_inception import FID_FEATURES
    from colordisc_tf.serve.saving import load_discriminator, load_generator

    if batch_size < 1:
        raise EvaluationError(f"--batch-size must be >= 1, got {batch_size}")
    try:
        names = protocol.list_images(images_dir, list_file)
        generator, generator_config = load_generator(model_dir)
        fid_model = None
        if fid_weights:
            from colordisc_tf.models.fid_inception_import import import_fid_inception

            fid_model = import_fid_inception(fid_weights)
        discriminator = load_discriminator(discriminator_dir) if discriminator_dir else None
        prior = load_prior(prior_path).prior if prior_path else None
    except (ValueError, KeyError) as e:  # a bad list, weights file, model folder or prior: the user's to fix
        raise EvaluationError(str(e).strip().splitlines()[0] if str(e).strip() else repr(e)) from None
    settings = _settings(names, list_file, images_dir, model_dir, fid_weights, discriminator_dir, prior_path)
    step = _batch_step(generator, generator_config.decoding)
    score = _realness_step(discriminator[0], discriminator[1].serving_size) if discriminator else None
    example_index = {name: i for i, name in enumerate(names[:EXAMPLES])}

    with open_store(output_dir, settings, FID_FEATURES if fid_model else None, overwrite) as store:
        done = store.done()
        todo = [n for n in names if n not in done]
        log(f"evaluate: {len(names)} images, {len(done)} done before" + (" (resuming)" if done else "")
            + f"; FID {'on' if fid_model else 'off'}; realness {'on' if discriminator else 'off'} -> {output_dir}")
        with tqdm(total=len(names), initial=len(names) - len(todo), desc="evaluate", unit="image",
                  disable=None) as progress:
            for start in range(0, len(todo), batch_size):
                batch = todo[start:start + batch_size]
                decoded = {name: _decode(images_dir, name) for name in batch}
                ok = [n for n in batch if decoded[n][0] is not None]
                rows = {n: {"image": n, "error": decoded[n][1]} for n in batch if decoded[n][0] is None}
                colorized_features = truth_features = None
                if ok:
                    truth = np.stack([decoded[n][0] for n in ok])
                    colorized, ab_pred, ab_true, gray = (np.asarray(t) for t in step(truth))
                    for i, name in enumerate(ok):
                        rows[name] = {"image": name, **measure(colorized[i], truth[i], ab_pred[i], ab_true[i])}
                    if score is not None:
                        for name, fake, real in zip(ok, np.asarray(score(colorized)), np.asarray(score(truth))):
                            rows[name].update(realness=float(fake), realness_truth=float(real))
                    if fid_model is not None:
                        both = fid_model.predict_on_batch(np.concatenate([colorized, truth]).astype(np.float32) / 255.0)
                        colorized_features, truth_features = both[:len(ok)], both[len(ok):]
                    _save_pictures(store.folder, ok, colorized, truth, gray, example_index, save_images)
                store.append([rows[n] for n in batch], colorized_features, truth_features)
                progress.update(len(batch))
        measured = [r for r in store.rows if "error" not in r]
        skipped = [r for r in store.rows if "error" in r]
        realness = None
        if discriminator:
            realness = ([r["realness"] for r in measured], [r["realness_truth"] for r in measured])
        result = summarize(measured, prior, store.features(), realness)
        result.update(
            protocol=protocol.PROTOCOL,
            list=list_file or "every file under the images folder",
            listed=len(names),
            skipped=len(skipped),
            skipped_images=[{"image": r["image"], "reason": r["error"]} for r in skipped[:20]],
            model=os.path.abspath(model_dir),
            decoding={"head": generator_config.decoding.head, "temperature": generator_config.decoding.temperature},
            auc_rebalanced_prior=os.path.abspath(prior_path) if prior_path else "the evaluated truth images' own",
        )
        if not fid_model:
            result["fid_note"] = NO_FID_WEIGHTS
        elif len(measured) < 2048:
            result["fid_note"] = (f"FID of {len(measured)} images (< 2048, the feature size: the covariances are "
                                  "rank-deficient); compare only with FIDs of the same images")
        write_whole(os.path.join(store.folder, "metrics.json"), json.dumps(result, indent=2))
        write_page(result, store.folder, sorted(example_index.values()))
    return result
