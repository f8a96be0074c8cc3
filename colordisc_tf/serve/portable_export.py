"""ONNX and LiteRT files of a saved generator or discriminator (`colordisc export`).

    generator       L float32 [N, H, W, 1], L in 0..100, any N, H and W
                      -> ab float32 [N, H, W, 2], at the input's size
    discriminator   lab float32 [N, H, W, 3], at the discriminator's serving size (what it judges)
                      -> realness float32 [N], realness_map float32 [N, h, w] (one value a patch)

The generator's file computes the SavedModel's colorize_lab in one graph: the network, the
decoding saved with it (annealed mean at its temperature, or the l2 head) and the bilinear
upsampling. A colorizer with realness becomes two files, <stem>.generator<ext> and
<stem>.discriminator<ext>: the discriminator judges Lab at its own size, so one graph would
also have to carry serving's Lab -> sRGB -> resize -> Lab between the two.

What is converted is a TensorFlow function: a model directory's Keras model traced with
serving's own code (inference.predict_ab, export's discriminator scores), or a SavedModel's
colorize_lab / score_lab signatures (a pushed saved_models/<name>/<version>). ONNX goes through
tf2onnx, LiteRT through TensorFlow's converter with its built-in ops only: a file that needs
TensorFlow's "Flex" kernels runs neither in ai-edge-litert nor on a phone without them.
(Keras' Model.export(format=...) converts call() only -- logits, not the decode -- and a pushed
SavedModel holds no Keras model; it uses the same two converters underneath.)

Before anything is written, each file runs in its runtime on probe inputs of two sizes, one
not a multiple of 8, and must match the TensorFlow function: ab within 1e-3, realness and the
map within 1e-4 -- or within twice TensorFlow's own float32 spread, where that is larger (the
same images run one at a time instead of in a batch: ~1.5e-3 in ab at width 1.0). What cannot
be converted, or converts wrong, is refused in one line.

int8 (export_quantized, `colordisc export --quantize int8`): per-value equality cannot hold, so the
int8 file is held to bounds on what it costs against the checked float file, measured on photos
(colordisc_tf.serve.portable_quality), and refused with the measured cost when over them.

The formats are a registry (colordisc_tf.serve.portable_formats): each names its converter
(portable_onnx, portable_litert), its runner (portable_runtime) and its quantizer.
"""

from __future__ import annotations

import dataclasses
import os
import secrets

import numpy as np
import tensorflow as tf

from colordisc_tf.serve.portable_formats import FORMATS, format_named

__all__ = ["FORMATS", "ExportRefused", "Part", "parts_of", "convert", "quantize", "export_portable",
           "export_quantized"]

AB_TOLERANCE = 1e-3
REALNESS_TOLERANCE = 1e-4
_L_SPEC = tf.TensorSpec([None, None, None, 1], tf.float32, name="L")
_LAB_SPEC = tf.TensorSpec([None, None, None, 3], tf.float32, name="lab")


class ExportRefused(ValueError):
    """What cannot be exported, in one line; nothing was written."""


@dataclasses.dataclass(frozen=True)
class Part:
    """One file's worth: a tf.function of one input with dict outputs, what tracks its variables
    (the TFLite converter wants it), and the probe inputs the file must reproduce it on."""

    role: str  # "generator" or "discriminator"
    function: tf.types.experimental.PolymorphicFunction
    owner: object  # a trackable: the loaded SavedModel, or _tracking(a Keras model)
    probes: tuple
    tolerance: float
    size: int = 256  # the model's serving size: where int8's colour cost is measured

    @property
    def input_name(self) -> str:
        return self.function.input_signature[0].name


def _generator_part(fn, owner, size: int) -> Part:
    rng = np.random.default_rng(0)

    def photo_like(n, h, w):  # smooth structure plus noise, so every bin and the upsampling matter
        y, x = np.mgrid[0:h, 0:w] / 9.0
        smooth = 50 + 35 * np.sin(x + rng.uniform(0, 6)) * np.cos(0.7 * y + rng.uniform(0, 6))
        return np.clip(smooth + rng.normal(0, 6, (n, h, w)), 0, 100)[..., None].astype(np.float32)

    return Part("generator", tf.function(fn, input_signature=[_L_SPEC]), owner,
                (photo_like(2, 45, 70), photo_like(1, 32, 24)), AB_TOLERANCE, size)


def _discriminator_part(fn, owner, size: int) -> Part:
    from colordisc_tf.color.srgb8 import srgb8_to_lab

    rng = np.random.default_rng(0)
    probes = tuple(srgb8_to_lab(rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8))
                   for n, h, w in ((2, size, size), (1, size + 8, size)))
    return Part("discriminator", tf.function(fn, input_signature=[_LAB_SPEC]), owner, probes, REALNESS_TOLERANCE, size)


def _tracking(model) -> tf.Module:
    """A trackable holding a Keras model's tf.Variables: Keras 3 wraps them, and a converter handed
    the model itself does not find them (LiteRT's then reads uninitialised weights: NaN)."""
    owner = tf.Module()
    owner.tf_variables = [variable.value for variable in model.variables]
    return owner


def parts_of(path: str) -> list[Part]:
    """What `path` (any --model form: colordisc_tf.serve.model_ref) exports to: a model directory
    (or its .keras file) -> its one part, traced from the Keras model; a SavedModel -> the
    colorize_lab and score_lab it has."""
    from colordisc_tf.serve import inference
    from colordisc_tf.serve.export import _discriminator_scores
    from colordisc_tf.serve.model_ref import ModelRefused, resolve_model
    from colordisc_tf.serve.saving import load_discriminator, load_generator

    try:
        ref = resolve_model(path)
    except ModelRefused as e:
        raise ExportRefused(str(e)) from None
    if ref.keras is None:
        return _saved_model_parts(ref)
    try:
        model, config = (load_generator if ref.kind == "generator" else load_discriminator)(ref.keras)
    except (TypeError, ValueError) as e:  # a layer class Keras does not know, a damaged file
        raise ExportRefused(f"{path}: the {ref.kind} does not load: {_first_line(e)}") from None
    if ref.kind == "generator":
        decode = config.decoding
        return [_generator_part(lambda L: {"ab": inference.predict_ab(model, L, decode)}, _tracking(model),  # noqa: N803
                                config.serving_size)]
    return [_discriminator_part(lambda lab: _discriminator_scores(model, lab), _tracking(model), config.serving_size)]


def _saved_model_parts(ref) -> list[Part]:
    loaded = tf.saved_model.load(ref.saved_model)
    signatures = loaded.signatures
    parts = []
    settings = signatures["settings"]() if "settings" in signatures else {}
    if "colorize_lab" in signatures:
        colorize = signatures["colorize_lab"]
        size = int(settings["model_size"]) if "model_size" in settings else 256
        parts.append(_generator_part(lambda L: {"ab": colorize(L=L)["ab"]}, loaded, size))  # noqa: N803
    if "score_lab" in signatures:
        score = signatures["score_lab"]
        # a colorizer with realness' settings say the generator's size (and discriminator_size since 2026-12-03)
        key = "model_size" if not parts else "discriminator_size"
        size = int(settings[key]) if key in settings else 32
        parts.append(_discriminator_part(lambda lab: {k: score(lab=lab)[k] for k in ("realness", "realness_map")},
                                         loaded, size))
    if not parts:
        raise ExportRefused(f"{ref.describe()} with neither colorize_lab nor score_lab (it has "
                            f"{', '.join(sorted(signatures)) or 'no signatures'}; a colorizer with realness exported "
                            "before 2026-12-01 lacks both): export the generator's and the discriminator's own instead")
    return parts


def _bfloat16_ops(part: Part) -> list[str]:
    graph = part.function.get_concrete_function().graph.as_graph_def()
    nodes = [*graph.node, *(node for function in graph.library.function for node in function.node_def)]
    bf16 = tf.bfloat16.as_datatype_enum
    return [node.name for node in nodes
            if any(value.type == bf16 or bf16 in value.list.type for value in node.attr.values())]


def convert(part: Part, fmt: str) -> tuple[bytes, float]:
    """The file's bytes and the largest difference from the TensorFlow function on the probes;
    ExportRefused when it cannot be converted or does not match (the module docstring)."""
    bf16 = _bfloat16_ops(part)
    if bf16:
        raise ExportRefused(f"the {part.role} computes in bfloat16 ({len(bf16)} ops, e.g. {bf16[0]}); ONNX and LiteRT "
                            "exports take float32 models (colordisc_tf.serve.saving saves them so)")
    spec = format_named(fmt)
    try:
        data = spec.convert(part)
        run = spec.runner(data, None)
    except ImportError as e:
        raise ExportRefused(f"--format {fmt} needs {spec.needs} installed ({e})") from None
    except ExportRefused:
        raise
    except Exception as e:  # noqa: BLE001 (a converter's or runtime's own failure, said in one line)
        raise ExportRefused(f"{fmt} conversion of the {part.role} failed: {_first_line(e)}") from None
    worst = floor = 0.0
    for probe in part.probes:
        want = _outputs(part, probe)
        # TensorFlow's own float32 spread: the same images one at a time (oneDNN picks other
        # kernels for another batch size; at width 1.0 ab moves by ~1.5e-3 between the two).
        alone = [_outputs(part, probe[i:i + 1]) for i in range(len(probe))]
        floor = max([floor] + [_difference(np.concatenate([a[name] for a in alone]), want[name]) for name in want])
        try:
            got = run(**{part.input_name: probe})
        except Exception as e:  # noqa: BLE001
            raise ExportRefused(f"{spec.runtime} fails on the converted {part.role} at input shape {probe.shape} "
                                f"({_first_line(e)}): a converter bug, nothing written") from None
        for name, value in want.items():
            if name not in got or got[name].shape != value.shape:
                raise ExportRefused(f"the converted {part.role} returns {name} of shape "
                                    f"{got[name].shape if name in got else 'none'} for input {probe.shape}, the model "
                                    f"{value.shape}: a converter bug, nothing written")
            worst = max(worst, _difference(got[name], value))
    allowed = max(part.tolerance, 2 * floor)
    if not worst <= allowed:
        raise ExportRefused(f"the {fmt} {part.role} differs from the model by {worst:.3g} on the probe inputs (allowed: "
                            f"{allowed:.3g}, the larger of {part.tolerance:g} and twice TensorFlow's own difference "
                            "between batch sizes): a converter bug, nothing written")
    return data, worst


def _outputs(part: Part, inputs: np.ndarray) -> dict:
    return {name: value.numpy() for name, value in part.function(tf.constant(inputs)).items()}


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    diff = np.abs(a.astype(np.float64) - b)
    return float(diff.max()) if np.isfinite(diff).all() else np.inf


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0][:300] if lines else "") or type(error).__name__


def _target(output: str, fmt: str, role: str | None) -> str:
    stem, ext = os.path.splitext(output)
    if not ext:
        stem, ext = output, FORMATS[fmt].extension
    return f"{stem}.{role}{ext}" if role else stem + ext


def _write_whole(target: str, data: bytes) -> None:
    """target appears whole (written aside, then renamed), with the mode any file the user writes
    gets: 0o666 less the umask (tempfile's files are 0o600 whatever the umask)."""
    folder = os.path.dirname(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    temp = os.path.join(folder, f".colordisc-export-{secrets.token_hex(8)}")
    with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as f:
        try:
            f.write(data)
        except BaseException:
            os.unlink(temp)
            raise
    os.replace(temp, target)


def _parts_and_targets(model: str, output: str, fmt: str, overwrite: bool):
    try:
        format_named(fmt)
    except ValueError as e:
        raise ExportRefused(str(e)) from None
    parts = parts_of(model)
    targets = [_target(output, fmt, part.role if len(parts) > 1 else None) for part in parts]
    existing = [t for t in targets if os.path.exists(t)]
    if existing and not overwrite:
        raise ExportRefused(f"{existing[0]} exists; add --overwrite to replace it")
    return parts, targets


def export_portable(model: str, output: str, fmt: str, overwrite: bool = False) -> list[tuple[str, str, float]]:
    """Writes `model`'s ONNX or LiteRT file(s) (two for a colorizer with realness: output's stem +
    .generator / .discriminator) and returns (path, role, largest difference on the probes) each.
    All are converted and checked before any is written; each appears whole (written aside, then renamed)."""
    parts, targets = _parts_and_targets(model, output, fmt, overwrite)
    try:
        converted = [convert(part, fmt) for part in parts]
    except ExportRefused as e:
        raise ExportRefused(f"{model}: {e}") from None
    for target, (data, _) in zip(targets, converted):
        _write_whole(target, data)
    return [(target, part.role, worst) for target, part, (_, worst) in zip(targets, parts, converted)]


def quantize(part: Part, fmt: str, data: bytes, held_out=None, bounds=None) -> tuple[bytes, dict]:
    """The int8 file of `part` from its checked float file `data`, and its cost against that file:
    {"bundled photos" (and "held-out photos" when given): {measure: {"float", "int8", "cost"}}}
    (colordisc_tf.serve.portable_quality). ExportRefused, with the measured cost, over `bounds`."""
    from colordisc_tf.serve import portable_quality as quality

    bounds = bounds or quality.QuantizationBounds()
    spec = format_named(fmt)
    if spec.quantize is None:
        raise ExportRefused(f"--quantize int8 has no {fmt} form; formats with one: "
                            f"{', '.join(name for name, f in FORMATS.items() if f.quantize)}")
    calibration = quality.model_inputs(part.role, quality.calibration_photos(), part.size)
    try:
        small = spec.quantize(data, part, calibration)
        float_run, int8_run = spec.runner(data, None), spec.runner(small, None)
        where = {"bundled photos": quality.measured_photos(), **({"held-out photos": held_out} if held_out else {})}
        cost = {name: quality.quantization_cost(part.role, float_run, int8_run, photos, part.size)
                for name, photos in where.items()}
    except ImportError as e:
        raise ExportRefused(f"--quantize int8 --format {fmt} needs {spec.needs} installed ({e})") from None
    except Exception as e:  # noqa: BLE001 (the quantizer's or runtime's own failure, said in one line)
        raise ExportRefused(f"int8 quantization of the {fmt} {part.role} failed: {_first_line(e)}") from None
    over = [f"{name}: {words}" for name, measures in cost.items() for words in quality.over_bounds(measures, bounds)]
    if over:
        raise ExportRefused(f"the int8 {fmt} {part.role} costs more than allowed against float32 ({'; '.join(over)}): "
                            "nothing written")
    return small, cost


def export_quantized(model: str, output: str, fmt: str, overwrite: bool = False, held_out: str | None = None,
                     bounds=None) -> list[tuple[str, str, dict]]:
    """export_portable's int8 twin: each float file is converted and checked as there, then
    quantized (ONNX Runtime's static QDQ, LiteRT's dynamic range) and its cost measured on photos
    -- the bundled ones, and the images in the folder `held_out` when given -- within `bounds`
    (portable_quality.QuantizationBounds) instead of per-value equality. Returns (path, role, cost)."""
    from colordisc_tf.serve.portable_quality import folder_photos

    try:
        photos = folder_photos(held_out) if held_out else None
    except ValueError as e:
        raise ExportRefused(str(e)) from None
    parts, targets = _parts_and_targets(model, output, fmt, overwrite)
    try:
        done = [quantize(part, fmt, convert(part, fmt)[0], photos, bounds) for part in parts]
    except ExportRefused as e:
        raise ExportRefused(f"{model}: {e}") from None
    for target, (data, _) in zip(targets, done):
        _write_whole(target, data)
    return [(target, part.role, cost) for target, part, (_, cost) in zip(targets, parts, done)]
