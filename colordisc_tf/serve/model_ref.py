"""What a command's --model / --discriminator names, resolved in one place for every command.

    saved_models/<name>        a pushed folder (TF Serving layout): its newest integer version
                               that holds a SavedModel, as TF Serving picks it
    saved_models/<name>/<N>    a version folder: a SavedModel
    <folder>/saved_model.pb    any SavedModel folder
    <model dir>                a trainer's: generator.keras or discriminator.keras + config.json,
                               its SavedModel in serving/ (Format-Serving/ in a TFX artifact)
    <file>.keras               a bare Keras file (its config: the defaults)

A SavedModel's kind is read from the signatures in its saved_model.pb (no variables loaded):
colorize_with_realness makes a colorizer with realness, score_lab or a serving_default that
answers "realness" a discriminator, colorize_lab / generator_output or a serving_default that
answers "colorized" a generator. A refusal says what the path holds ("saved_models/x (version 3)
holds a discriminator SavedModel; --model wants a generator").
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

__all__ = ["ModelRefused", "ModelRef", "KINDS", "resolve_model", "find_serving_dir", "load_signature",
           "GeneratorNetwork", "load_generator_network", "load_realness"]

KINDS = ("generator", "discriminator", "colorizer_with_realness")
#: what stands in for the kind a command wants: a colorizer with realness serves as a generator
_SERVES_AS = {"generator": ("generator", "colorizer_with_realness"), "discriminator": ("discriminator",),
              "colorizer_with_realness": ("colorizer_with_realness",)}
_SERVING_SUBDIRS = ("serving", "Format-Serving")
_WORDS = {"generator": "a generator", "discriminator": "a discriminator",
          "colorizer_with_realness": "a colorizer with realness"}


class ModelRefused(ValueError):
    """A --model / --discriminator that does not hold what the command needs, in one line."""


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """What a model path resolved to.

    kind         "generator", "discriminator" or "colorizer_with_realness"
    form         "pushed folder", "version folder", "SavedModel", "model directory" or "Keras file"
    saved_model  the SavedModel folder, or None (a model directory saved without one, a Keras file)
    keras        the model directory or .keras file (what serve.saving loads), or None
    signatures   the SavedModel's signature names -> their output names (empty without one)
    """

    given: str
    kind: str
    form: str
    saved_model: str | None = None
    keras: str | None = None
    signatures: dict = dataclasses.field(default_factory=dict)

    def describe(self) -> str:
        """"<given> (version N) holds a generator SavedModel" and the like."""
        where = self.given
        if self.form == "pushed folder":
            where += f" (version {os.path.basename(self.saved_model)})"
        what = {"model directory": "model directory", "Keras file": "Keras file"}.get(self.form, "SavedModel")
        return f"{where} holds {_WORDS[self.kind]} {what}"


def _signatures(saved_model: str) -> dict:
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    try:
        with open(os.path.join(saved_model, "saved_model.pb"), "rb") as f:
            proto.ParseFromString(f.read())
    except Exception as e:  # noqa: BLE001 (protobuf's DecodeError, an unreadable file: said in one line)
        raise ModelRefused(f"{saved_model}/saved_model.pb does not parse as a SavedModel ({type(e).__name__})") from None
    if not proto.meta_graphs:
        return {}
    return {name: tuple(sorted(sig.outputs)) for name, sig in proto.meta_graphs[0].signature_def.items()
            if not name.startswith("__")}


def _saved_model_kind(signatures: dict) -> str | None:
    served = signatures.get("serving_default", ())
    if "colorize_with_realness" in signatures:
        return "colorizer_with_realness"
    if "score_lab" in signatures or "realness" in served:
        return "discriminator"
    if {"colorize_lab", "generator_output"} & set(signatures) or {"colorized", "colorized_bytes"} & set(served):
        return "generator"
    return None


def _keras_kinds(path: str) -> list[str]:
    from colordisc_tf.serve.saving import DISCRIMINATOR_FILE, GENERATOR_FILE

    return [kind for kind, name in (("generator", GENERATOR_FILE), ("discriminator", DISCRIMINATOR_FILE))
            if os.path.exists(os.path.join(path, name))]


def _has_saved_model(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def _versions(path: str) -> list[int]:
    return sorted((int(entry) for entry in os.listdir(path) if entry.isdigit() and os.path.isdir(os.path.join(path, entry))),
                  reverse=True)


def _found(path: str, given: str, kind: str | None) -> ModelRef:
    """Everything path could be, unchecked against the kind a command wants (kind only picks
    between a generator and a discriminator saved side by side)."""
    if not os.path.exists(path):
        raise ModelRefused(f"{given}: no such file or folder")
    if os.path.isfile(path):
        if not path.endswith(".keras"):
            raise ModelRefused(f"{given} is a file, not a model (a SavedModel folder, a pushed folder of versions, a "
                               "model directory or a .keras file)")
        from colordisc_tf.serve.saving import DISCRIMINATOR_FILE

        found = "discriminator" if os.path.basename(path) == DISCRIMINATOR_FILE else "generator"
        return ModelRef(given, found, "Keras file", keras=path)
    keras_kinds = _keras_kinds(path)
    if keras_kinds:
        found = kind if kind in keras_kinds else keras_kinds[0]
        serving = next((os.path.join(path, sub) for sub in _SERVING_SUBDIRS if _has_saved_model(os.path.join(path, sub))),
                       None)
        return ModelRef(given, found, "model directory", serving, path, _signatures(serving) if serving else {})
    if _has_saved_model(path):
        form = "version folder" if os.path.basename(os.path.normpath(path)).isdigit() else "SavedModel"
        return _saved_model_ref(given, form, path)
    for sub in _SERVING_SUBDIRS:  # a TFX Model artifact without its Keras file
        if _has_saved_model(os.path.join(path, sub)):
            return _saved_model_ref(given, "SavedModel", os.path.join(path, sub))
    versions = _versions(path)
    complete = [v for v in versions if _has_saved_model(os.path.join(path, str(v)))]
    if complete:
        return _saved_model_ref(given, "pushed folder", os.path.join(path, str(complete[0])))
    if versions:
        raise ModelRefused(f"{given} is a pushed folder whose version folders ({', '.join(map(str, versions[:5]))}) hold "
                           "no saved_model.pb")
    entries = sorted(os.listdir(path))
    held = f"it holds {', '.join(entries[:4])}{', ...' if len(entries) > 4 else ''}" if entries else "it is empty"
    raise ModelRefused(f"{given} holds no model ({held}): --model and --discriminator take a pushed folder "
                       "saved_models/<name>, a version folder, a SavedModel or a model directory (generator.keras / "
                       "discriminator.keras + config.json)")


def _saved_model_ref(given: str, form: str, saved_model: str) -> ModelRef:
    signatures = _signatures(saved_model)
    found = _saved_model_kind(signatures)
    if found is None:
        raise ModelRefused(f"{given} holds a SavedModel that is no colordisc model (its signatures: "
                           f"{', '.join(sorted(signatures)) or 'none'})")
    return ModelRef(given, found, form, saved_model, None, signatures)


def resolve_model(path: str, kind: str | None = None, flag: str = "--model") -> ModelRef:
    """The ModelRef of `path` (any form in the module doc). kind: what the command wants --
    "generator" (a colorizer with realness serves as one), "discriminator", "colorizer_with_realness",
    or None (anything). Raises ModelRefused naming what path holds when it is not that."""
    if kind is not None and kind not in _SERVES_AS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} or None, got {kind!r}")
    ref = _found(os.path.expanduser(path), path, kind)
    if kind is not None and ref.kind not in _SERVES_AS[kind]:
        raise ModelRefused(f"{ref.describe()}; {flag} wants {_WORDS[kind]}")
    return ref


def _serving_dir(ref: ModelRef) -> str:
    if ref.saved_model is None:
        raise ModelRefused(f"{ref.describe()} without its serving SavedModel ({' or '.join(_SERVING_SUBDIRS)}/): pass "
                           "the pushed saved_models/<name>, or export it (colordisc_tf.serve.saving.export_saved)")
    return ref.saved_model


def find_serving_dir(path: str, kind: str | None = None, flag: str = "--model") -> str:
    """The SavedModel folder `path` resolves to (resolve_model), or ModelRefused."""
    return _serving_dir(resolve_model(path, kind, flag))


def load_signature(path: str, name: str, output: str, kind: str, flag: str = "--model"):
    """The SavedModel signature `name` of what `path` resolves to, returning `output`; ModelRefused
    otherwise. Asked for "colorized", a signature that answers "colorized_bytes" (the REST name,
    which exports of 2026-11-28 used in serving_default and colorize_guided) is accepted too, and
    the returned function answers under "colorized"."""
    import tensorflow as tf

    ref = resolve_model(path, kind, flag)
    saved_model = _serving_dir(ref)
    outputs = ref.signatures.get(name)
    if outputs is None:
        raise ModelRefused(f"{ref.describe()} without the {name} signature (it has {', '.join(sorted(ref.signatures))})")
    if output not in outputs and not (output == "colorized" and "colorized_bytes" in outputs):
        raise ModelRefused(f"{ref.describe()} whose {name} returns {', '.join(outputs)}, not {output}")
    signature = tf.saved_model.load(saved_model).signatures[name]
    if output == "colorized" and "colorized_bytes" in outputs:
        return lambda **inputs: {("colorized" if k == "colorized_bytes" else k): v for k, v in signature(**inputs).items()}
    return signature


@dataclasses.dataclass
class GeneratorNetwork:
    """A generator as serving runs it: raw(L (B, s, s, 1) float32 0..100) -> its raw output
    (B, s/4, s/4, C), decoded per `decoding`, s = model_size (colordisc_tf.serve.inference.served_ab)."""

    raw: Callable
    decoding: object  # colordisc_tf.color.decoding.Decoding
    model_size: int
    source: str  # how it was loaded, for the record: "Keras model" or "SavedModel generator_output + settings"
    keep: object = None  # what the SavedModel's signatures need kept alive


def load_generator_network(ref: ModelRef) -> GeneratorNetwork | None:
    """ref's generator from its Keras file (a model directory or .keras) or its SavedModel's
    generator_output + settings signatures; None for a SavedModel without them (a colorizer with
    realness, an export older than both): only its serving_default colorizes."""
    import tensorflow as tf

    from colordisc_tf.color.decoding import Decoding

    if ref.keras is not None:
        from colordisc_tf.serve.saving import load_generator

        model, config = load_generator(ref.keras)
        return GeneratorNetwork(lambda L: model(L, training=False), config.decoding, config.serving_size,  # noqa: N803
                                "Keras model")
    if not {"generator_output", "settings"} <= set(ref.signatures):
        return None
    loaded = tf.saved_model.load(ref.saved_model)
    settings = {k: v.numpy() for k, v in loaded.signatures["settings"]().items()}
    run = loaded.signatures["generator_output"]
    return GeneratorNetwork(lambda L: run(L=L)["output"], Decoding.from_settings(settings),  # noqa: N803
                            int(settings["model_size"]), "SavedModel generator_output + settings", loaded)


def load_realness(ref: ModelRef):
    """A discriminator as its serving signature scores: (B, H, W, 3) uint8 -> (B,) realness, each
    image area-resized to the discriminator's serving size first (colordisc_tf.serve.export)."""
    import tensorflow as tf

    from colordisc_tf.serve.export import discriminator_lab

    if ref.keras is not None:
        from colordisc_tf.models.discriminator import realness
        from colordisc_tf.serve.saving import load_discriminator

        model, config = load_discriminator(ref.keras)
        return lambda rgb: realness(model(discriminator_lab(rgb, config.serving_size), training=False))
    loaded = tf.saved_model.load(ref.saved_model)
    if {"score_lab", "settings"} <= set(ref.signatures):
        size = int(loaded.signatures["settings"]()["model_size"])
        # the signatures' variables live as long as `loaded`: the closure keeps it
        return lambda rgb: loaded.signatures["score_lab"](lab=discriminator_lab(rgb, size))["realness"]

    def through_png(rgb):
        images = tf.map_fn(tf.io.encode_png, tf.cast(rgb, tf.uint8), fn_output_signature=tf.string)
        return loaded.signatures["serving_default"](images=images)["realness"]

    return through_png
