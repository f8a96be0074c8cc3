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
"""

from __future__ import annotations

import dataclasses
import os
import secrets

import numpy as np
import tensorflow as tf

from colordisc_tf.serve.portable_runtime import runner

__all__ = ["FORMATS", "ExportRefused", "Part", "parts_of", "convert", "export_portable"]

#: format -> file extension
FORMATS = {"onnx": ".onnx", "litert": ".tflite"}
#: ONNX Runtime runs opset 17 from 1.13 (2022) on, in every language it binds.
ONNX_OPSET = 17
AB_TOLERANCE = 1e-3
REALNESS_TOLERANCE = 1e-4
_RUNTIMES = {"onnx": "ONNX Runtime", "litert": "the LiteRT interpreter"}
_NEEDS = {"onnx": "tf2onnx, onnx and onnxruntime", "litert": "ai-edge-litert"}
_L_SPEC = tf.TensorSpec([None, None, None, 1], tf.float32, name="L")
_LAB_SPEC = tf.TensorSpec([None, None, None, 3], tf.float32, name="lab")
#: symbolic dimension names the ONNX files carry (their runtimes show them to users)
_DIMS = {"L": ("N", "H", "W"), "ab": ("N", "H", "W"), "lab": ("N", "H", "W"), "realness": ("N",),
         "realness_map": ("N", "h", "w")}


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

    @property
    def input_name(self) -> str:
        return self.function.input_signature[0].name


def _generator_part(fn, owner) -> Part:
    rng = np.random.default_rng(0)

    def photo_like(n, h, w):  # smooth structure plus noise, so every bin and the upsampling matter
        y, x = np.mgrid[0:h, 0:w] / 9.0
        smooth = 50 + 35 * np.sin(x + rng.uniform(0, 6)) * np.cos(0.7 * y + rng.uniform(0, 6))
        return np.clip(smooth + rng.normal(0, 6, (n, h, w)), 0, 100)[..., None].astype(np.float32)

    return Part("generator", tf.function(fn, input_signature=[_L_SPEC]), owner,
                (photo_like(2, 45, 70), photo_like(1, 32, 24)), AB_TOLERANCE)


def _discriminator_part(fn, owner, size: int) -> Part:
    from colordisc_tf.color.srgb8 import srgb8_to_lab

    rng = np.random.default_rng(0)
    probes = tuple(srgb8_to_lab(rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8))
                   for n, h, w in ((2, size, size), (1, size + 8, size)))
    return Part("discriminator", tf.function(fn, input_signature=[_LAB_SPEC]), owner, probes, REALNESS_TOLERANCE)


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
        return [_generator_part(lambda L: {"ab": inference.predict_ab(model, L, decode)}, _tracking(model))]  # noqa: N803
    return [_discriminator_part(lambda lab: _discriminator_scores(model, lab), _tracking(model), config.serving_size)]


def _saved_model_parts(ref) -> list[Part]:
    loaded = tf.saved_model.load(ref.saved_model)
    signatures = loaded.signatures
    parts = []
    if "colorize_lab" in signatures:
        colorize = signatures["colorize_lab"]
        parts.append(_generator_part(lambda L: {"ab": colorize(L=L)["ab"]}, loaded))  # noqa: N803
    if "score_lab" in signatures:
        score = signatures["score_lab"]
        size = int(signatures["settings"]()["model_size"]) if "settings" in signatures and not parts else 32
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


def _onnx_bytes(part: Part) -> bytes:
    import onnx
    import tf2onnx

    tf2onnx.logging.set_level(tf2onnx.logging.ERROR)
    model, _ = tf2onnx.convert.from_function(part.function, part.function.input_signature, opset=ONNX_OPSET)
    # tf2onnx writes a TensorFlow op it has no rule for into the graph as is (and logs it).
    unknown = sorted({node.op_type for node in model.graph.node if not onnx.defs.has(node.op_type, node.domain)})
    if unknown:
        raise ExportRefused(f"tf2onnx has no ONNX form of the {part.role}'s TensorFlow op(s) {', '.join(unknown)}")
    graph_input = model.graph.input[0]
    if graph_input.name != part.input_name:  # tf.function lower-cases argument names ("L" -> "l")
        for node in model.graph.node:
            node.input[:] = [part.input_name if name == graph_input.name else name for name in node.input]
        graph_input.name = part.input_name
    for value in [*model.graph.input, *model.graph.output]:
        for dim, label in zip(value.type.tensor_type.shape.dim, _DIMS.get(value.name, ())):
            dim.dim_param = label
    model.doc_string = f"colordisc {part.role} ({__name__}; contract: docs/deploy.md)"
    return model.SerializeToString()


def _litert_bytes(part: Part) -> bytes:
    converter = tf.lite.TFLiteConverter.from_concrete_functions([part.function.get_concrete_function()], part.owner)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        return converter.convert()
    except Exception as e:  # noqa: BLE001 (ConverterError: pages of MLIR; one line of it names the ops)
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        summary = next((line for line in lines if line.startswith(("TF Select ops", "Flex ops", "Custom ops"))),
                       lines[-1][:200] if lines else type(e).__name__)
        raise ExportRefused(f"LiteRT's converter cannot build the {part.role} from its built-in ops ({summary})") from None


def convert(part: Part, fmt: str) -> tuple[bytes, float]:
    """The file's bytes and the largest difference from the TensorFlow function on the probes;
    ExportRefused when it cannot be converted or does not match (the module docstring)."""
    bf16 = _bfloat16_ops(part)
    if bf16:
        raise ExportRefused(f"the {part.role} computes in bfloat16 ({len(bf16)} ops, e.g. {bf16[0]}); ONNX and LiteRT "
                            "exports take float32 models (colordisc_tf.serve.saving saves them so)")
    try:
        data = (_onnx_bytes if fmt == "onnx" else _litert_bytes)(part)
        run = runner(fmt, data)
    except ImportError as e:
        raise ExportRefused(f"--format {fmt} needs {_NEEDS[fmt]} installed ({e})") from None
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
            raise ExportRefused(f"{_RUNTIMES[fmt]} fails on the converted {part.role} at input shape {probe.shape} "
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
        stem, ext = output, FORMATS[fmt]
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


def export_portable(model: str, output: str, fmt: str, overwrite: bool = False) -> list[tuple[str, str, float]]:
    """Writes `model`'s ONNX or LiteRT file(s) (two for a colorizer with realness: output's stem +
    .generator / .discriminator) and returns (path, role, largest difference on the probes) each.
    All are converted and checked before any is written; each appears whole (written aside, then renamed)."""
    if fmt not in FORMATS:
        raise ExportRefused(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    parts = parts_of(model)
    targets = [_target(output, fmt, part.role if len(parts) > 1 else None) for part in parts]
    existing = [t for t in targets if os.path.exists(t)]
    if existing and not overwrite:
        raise ExportRefused(f"{existing[0]} exists; add --overwrite to replace it")
    try:
        converted = [convert(part, fmt) for part in parts]
    except ExportRefused as e:
        raise ExportRefused(f"{model}: {e}") from None
    for target, (data, _) in zip(targets, converted):
        _write_whole(target, data)
    return [(target, part.role, worst) for target, part, (_, worst) in zip(targets, parts, converted)]
