"""colordisc export: ONNX and LiteRT files run in onnxruntime / ai-edge-litert and compared with
the Keras model (through NumPy re-computations of the decode and the realness) and with the
SavedModel's colorize_lab / score_lab signatures; the docs' ONNX example in a process that cannot
import TensorFlow; and the refusals."""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from colordisc_tf.color.bins import AB_BINS
from colordisc_tf.serve.portable_export import ExportRefused, Part, convert, export_portable
from colordisc_tf.serve.portable_runtime import runner
from decode_oracle import decoded_ab
from spread_models import spread_like_trained

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")
pytest.importorskip("ai_edge_litert")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny generator and discriminator whose outputs vary (spread_like_trained: the conftest's
    untrained tiny_models give nearly constant ab, where a wrong decode would not show). Saved as model directories (Keras
    files and configs) and as the colorizer with realness, whose SavedModel has serving_default,
    colorize_lab and score_lab as the two models' own SavedModels have them (one export, not three)."""
    import keras

    from colordisc_tf.config import DiscriminatorConfig, GeneratorConfig
    from colordisc_tf.models import build_discriminator, build_generator
    from colordisc_tf.serve.export import export_colorizer_with_realness
    from colordisc_tf.serve.saving import save_discriminator, save_generator

    root = tmp_path_factory.mktemp("portable")
    keras.utils.set_random_seed(0)
    generator, discriminator = build_generator(0.0625), build_discriminator(8, depth=2)
    spread_like_trained(generator, discriminator, 32)
    # not the defaults: they must travel
    config = GeneratorConfig(width=0.0625, serving_size=32, temperature=0.3, chroma_gain=1.3, confidence_power=2.0)
    save_generator(generator, config, str(root / "generator"), export=False)
    save_discriminator(discriminator, DiscriminatorConfig(width=8, depth=2, serving_size=32), str(root / "discriminator"),
                       export=False)
    export_colorizer_with_realness(generator, discriminator, str(root / "both"), config.decoding, model_size=32,
                                   discriminator_size=32)
    return root


@pytest.fixture(scope="module")
def exported(models, tmp_path_factory):
    """Each route once, to keep the default run short (the slow test covers every pairing):
    ONNX from the colorizer with realness' SavedModel (its colorize_lab and score_lab: what a
    pushed model offers), LiteRT from the two model directories (the Keras models, traced afresh)."""
    out = tmp_path_factory.mktemp("files")
    written = export_portable(str(models / "both"), str(out / "both.onnx"), "onnx")
    assert [(os.path.basename(path), role) for path, role, _ in written] == [
        ("both.generator.onnx", "generator"), ("both.discriminator.onnx", "discriminator")]
    files = {(role, "onnx"): path for path, role, _ in written}
    for role in ("generator", "discriminator"):
        [(path, written_role, _)] = export_portable(str(models / role), str(out / f"{role}.tflite"), "litert")
        assert written_role == role
        files[role, "litert"] = path
    return files


def _l_batch(height, width, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / 7.0
    smooth = 50 + 40 * np.sin(x + seed) * np.cos(y)
    return np.clip(smooth + rng.normal(0, 5, (3, height, width)), 0, 100)[..., None].astype(np.float32)


def _bilinear(image, height, width):
    """TensorFlow's bilinear resize (half-pixel centres, no antialias), in NumPy."""
    def taps(n_in, n_out):
        src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        low = np.floor(src).astype(int)
        return low, np.minimum(low + 1, n_in - 1), (src - low)

    top, bottom, ty = taps(image.shape[1], height)
    left, right, tx = taps(image.shape[2], width)
    rows = image[:, top] * (1 - ty)[None, :, None, None] + image[:, bottom] * ty[None, :, None, None]
    return rows[:, :, left] * (1 - tx)[None, None, :, None] + rows[:, :, right] * tx[None, None, :, None]


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_generator_file_equals_the_keras_model_and_colorize_lab(models, exported, fmt):
    from colordisc_tf.serve.saving import load_generator

    model, config = load_generator(str(models / "generator"))
    colorize_lab = tf.saved_model.load(str(models / "both")).signatures["colorize_lab"]
    run = runner(fmt, exported["generator", fmt])
    for height, width, seed in ((45, 70, 1), (64, 40, 2)):  # one side not a multiple of 8 or even 4
        L = _l_batch(height, width, seed)
        ab = run(L=L)["ab"]
        assert ab.shape == (3, height, width, 2)
        # 1.3 and 2: the decode's gain and confidence power travel into the file
        oracle = _bilinear(decoded_ab(np.asarray(model(L, training=False)), config.temperature, config.chroma_gain,
                                      config.confidence_power), height, width)
        assert oracle.std() > 5, "the test model's ab hardly varies: equality would prove little"
        # rtol: the gate takes some of the test model's ab past 200, where float32 keeps 5 digits
        np.testing.assert_allclose(ab, oracle, atol=1e-3, rtol=2e-5)
        np.testing.assert_allclose(ab, colorize_lab(L=tf.constant(L))["ab"].numpy(), atol=1e-3, rtol=2e-5)


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_discriminator_file_equals_the_keras_model_and_score_lab(models, exported, fmt):
    from colordisc_tf.color.srgb8 import srgb8_to_lab
    from colordisc_tf.serve.saving import load_discriminator

    model, _ = load_discriminator(str(models / "discriminator"))
    score_lab = tf.saved_model.load(str(models / "both")).signatures["score_lab"]
    run = runner(fmt, exported["discriminator", fmt])
    for size in (32, 48):
        lab = srgb8_to_lab(np.random.default_rng(size).integers(0, 256, (3, size, size, 3), dtype=np.uint8))
        out = run(lab=lab)
        logits = np.asarray(model(lab, training=False), np.float64)
        patches = 1 / (1 + np.exp(-logits[..., 0]))
        assert out["realness"].shape == (3,) and np.ptp(patches.mean(axis=(1, 2))) > 1e-3
        np.testing.assert_allclose(out["realness"], patches.mean(axis=(1, 2)), atol=1e-4, rtol=0)
        np.testing.assert_allclose(out["realness_map"], patches, atol=1e-4, rtol=0)
        served = score_lab(lab=tf.constant(lab))
        np.testing.assert_allclose(out["realness"], served["realness"].numpy(), atol=1e-4, rtol=0)


@pytest.mark.slow
def test_every_route_and_format_at_width_one(tmp_path):
    """The published width (32 M parameters): model directory and SavedModel, ONNX and LiteRT,
    batch 3 at two sizes, and a photo at the serving size through the docs' helpers within one
    level of TF Serving's output. At this width TensorFlow differs from itself by ~1.5e-3 in ab
    between batch sizes (oneDNN kernels), so ab must match within the larger of 1e-3 and twice that."""
    import keras
    from PIL import Image
    from skimage import data

    from colordisc_tf.color.srgb8 import lab_to_srgb8, srgb8_to_lab
    from colordisc_tf.config import DiscriminatorConfig, GeneratorConfig
    from colordisc_tf.models import build_discriminator, build_generator
    from colordisc_tf.serve.saving import save_discriminator, save_generator

    keras.utils.set_random_seed(1)
    generator, discriminator = build_generator(1.0), build_discriminator()
    spread_like_trained(generator, discriminator, 64)
    save_generator(generator, GeneratorConfig(width=1.0), str(tmp_path / "generator"))
    save_discriminator(discriminator, DiscriminatorConfig(), str(tmp_path / "discriminator"))
    signatures = {role: tf.saved_model.load(str(tmp_path / role / "serving")).signatures
                  for role in ("generator", "discriminator")}
    L = [_l_batch(45, 70, 5), _l_batch(64, 96, 6)]
    lab = [srgb8_to_lab(np.random.default_rng(n).integers(0, 256, (3, n, n, 3), dtype=np.uint8)) for n in (64, 72)]
    want_ab = [signatures["generator"]["colorize_lab"](L=tf.constant(x))["ab"].numpy() for x in L]
    alone = [np.concatenate([signatures["generator"]["colorize_lab"](L=tf.constant(x[i:i + 1]))["ab"].numpy()
                             for i in range(3)]) for x in L]
    allowed = max(1e-3, 2 * max(np.abs(a - w).max() for a, w in zip(alone, want_ab)))
    want_realness = [signatures["discriminator"]["score_lab"](lab=tf.constant(x))["realness"].numpy() for x in lab]
    photo = np.asarray(Image.fromarray(data.coffee()).resize((256, 256), Image.BICUBIC))
    served = tf.io.decode_png(signatures["generator"]["serving_default"](
        images=tf.constant([tf.io.encode_png(photo).numpy()]))["colorized"][0]).numpy()
    for source in ("", "serving"):
        for fmt, ext in (("onnx", ".onnx"), ("litert", ".tflite")):
            [(g_file, _, _)] = export_portable(str(tmp_path / "generator" / source), str(tmp_path / f"g{source}{ext}"), fmt)
            [(d_file, _, _)] = export_portable(str(tmp_path / "discriminator" / source), str(tmp_path / f"d{source}{ext}"),
                                               fmt)
            colorize, score = runner(fmt, g_file), runner(fmt, d_file)
            for x, want in zip(L, want_ab):
                np.testing.assert_allclose(colorize(L=x)["ab"], want, atol=allowed, rtol=0)
            for x, want in zip(lab, want_realness):
                np.testing.assert_allclose(score(lab=x)["realness"], want, atol=1e-4, rtol=0)
            photo_l = srgb8_to_lab(photo)[None, ..., :1]
            ours = lab_to_srgb8(np.concatenate([photo_l, colorize(L=photo_l)["ab"]], axis=-1))[0]
            assert np.abs(ours.astype(int) - served).max() <= 1, (source, fmt)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_the_demos_pushed_models_on_photos_the_tests_never_saw(tmp_path, fmt):
    """After `make demo`: the pushed generator and discriminator, exported, against their own
    SavedModels on scikit-image photos outside the demo's set (gray ones among them: what users
    colorize): ab batch 3 at two sizes, RGB at the serving size, realness at two sizes."""
    from PIL import Image
    from skimage import data

    from colordisc_tf.color.srgb8 import lab_to_srgb8, srgb8_to_lab
    from colordisc_tf.serve.model_ref import find_serving_dir

    pushed = {role: os.path.join(ROOT, "saved_models", f"colordisc_{role}") for role in ("generator", "discriminator")}
    if not all(os.path.isdir(path) for path in pushed.values()):
        pytest.skip("no pushed demo models in saved_models/ (run make demo first)")
    photos = [np.asarray(p)[..., :3] if np.ndim(p) == 3 else np.stack([np.asarray(p)] * 3, -1)
              for p in (data.camera(), data.moon(), data.coins(), data.colorwheel(), data.logo(), data.clock())]

    def resized(height, width, which=range(3)):
        return np.stack([np.asarray(Image.fromarray(photos[i]).resize((width, height), Image.BICUBIC)) for i in which])

    signatures = {role: tf.saved_model.load(find_serving_dir(path)).signatures for role, path in pushed.items()}
    files = {role: export_portable(path, str(tmp_path / role), fmt)[0][0] for role, path in pushed.items()}
    colorize, score = runner(fmt, files["generator"]), runner(fmt, files["discriminator"])
    for height, width in ((256, 256), (181, 243)):
        L = srgb8_to_lab(resized(height, width))[..., :1]
        want = signatures["generator"]["colorize_lab"](L=tf.constant(L))["ab"].numpy()
        np.testing.assert_allclose(colorize(L=L)["ab"], want, atol=1e-3, rtol=0)
    size = int(signatures["generator"]["settings"]()["model_size"])
    for photo in resized(size, size, range(len(photos))):
        png = tf.io.encode_png(photo).numpy()
        served = tf.io.decode_png(signatures["generator"]["serving_default"](images=tf.constant([png]))["colorized"][0])
        L = srgb8_to_lab(photo)[None, ..., :1]
        ours = lab_to_srgb8(np.concatenate([L, colorize(L=L)["ab"]], axis=-1))[0]
        assert np.abs(ours.astype(int) - served.numpy()).max() <= 1
    size = int(signatures["discriminator"]["settings"]()["model_size"])
    for side in (size, size + 16):
        lab = srgb8_to_lab(resized(side, side, (3, 4, 5)))
        want = signatures["discriminator"]["score_lab"](lab=tf.constant(lab))["realness"].numpy()
        np.testing.assert_allclose(score(lab=lab)["realness"], want, atol=1e-4, rtol=0)


def _docs_example() -> str:
    with open(os.path.join(ROOT, "docs", "deploy.md")) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    [example] = [block for block in blocks if "onnxruntime" in block]
    return example


_NO_TENSORFLOW = textwrap.dedent("""
    import sys

    class NoTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "tensorflow_io", "keras", "tf2onnx", "jax", "torch"):
                raise ImportError(f"{name}: this process has no TensorFlow (test_portable_export)")
            return None

    sys.meta_path.insert(0, NoTensorFlow())
""")


def test_the_docs_onnx_example_colorizes_a_photo_without_tensorflow_as_serving_does(models, exported, tmp_path):
    """The example in docs/deploy.md (and README's Deploy section, when it has it) runs where
    `import tensorflow` fails, and its PNG is TF Serving's serving_default output within one level
    (the photo at the generator's serving size, where serving's resizes are identities)."""
    from PIL import Image
    from skimage import data

    from colordisc_tf.serve.model_ref import load_signature

    example = _docs_example()
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    if "## Deploy" in readme:
        assert example in readme, "README's Deploy example differs from docs/deploy.md's"
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(_NO_TENSORFLOW)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), ROOT])}
    probe = subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0 and "has no TensorFlow" in probe.stderr, "the blocker does not block"

    photo = Image.fromarray(data.chelsea()[:256, 100:356]).resize((32, 32), Image.BICUBIC)
    photo.save(tmp_path / "photo.jpg", format="PNG")  # lossless, so both sides decode the same pixels
    shutil.copy(exported["generator", "onnx"], tmp_path / "generator.onnx")
    (tmp_path / "example.py").write_text(example)
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    ours = np.asarray(Image.open(tmp_path / "colorized.png"))

    serve = load_signature(str(models / "both"), "serving_default", "colorized", "generator")
    png = serve(images=tf.constant([(tmp_path / "photo.jpg").read_bytes()]))["colorized"].numpy()[0]
    served = tf.io.decode_png(png).numpy()
    assert ours.shape == served.shape == (32, 32, 3)
    assert np.abs(ours.astype(int) - served).max() <= 1
    assert np.ptp(served.astype(int) - served.mean(-1, keepdims=True)) > 10, "a gray result would prove little"


def test_a_converter_that_gets_it_wrong_is_caught_before_writing(tmp_path):
    """tf2onnx 1.17 turns an int modulo of a negative number into C's remainder: the old
    PadToMultiple's (-n) % 8 padded wrong in ONNX. The probe check must catch such files."""
    def pad_as_before(L):  # noqa: N803
        shape = tf.shape(L)
        return {"ab": tf.pad(L, [[0, 0], [0, (-shape[1]) % 8], [0, (-shape[2]) % 8], [0, 0]], mode="SYMMETRIC")[..., :1]
                * tf.ones([2])}

    spec = [tf.TensorSpec([None, None, None, 1], tf.float32, name="L")]
    bad = Part("generator", tf.function(pad_as_before, input_signature=spec), tf.Module(), (_l_batch(45, 70, 0),), 1e-3)
    with pytest.raises(ExportRefused, match="converter bug"):
        convert(bad, "onnx")


def test_what_cannot_be_converted_is_refused_in_one_line(models, tmp_path):
    import keras

    from colordisc_tf.models import build_generator
    from colordisc_tf.models.precision import at_precision

    spec = [tf.TensorSpec([None, None, None, 1], tf.float32, name="L")]
    odd = Part("generator", tf.function(lambda L: {"ab": tf.math.igamma(L, L) * tf.ones([2])}, input_signature=spec),  # noqa: N803
               tf.Module(), (_l_batch(8, 8, 0),), 1e-3)
    for fmt, words in (("onnx", "no ONNX form"), ("litert", "built-in ops")):
        with pytest.raises(ExportRefused, match=words) as refused:
            convert(odd, fmt)
        assert "\n" not in str(refused.value) and "Igamma" in str(refused.value)

    bf16 = tmp_path / "bf16" / "generator.keras"
    bf16.parent.mkdir()
    at_precision(build_generator(0.0625), "mixed_bfloat16").save(str(bf16))
    with pytest.raises(ExportRefused, match="bfloat16"):
        export_portable(str(bf16), str(tmp_path / "bf16.onnx"), "onnx")
    assert not (tmp_path / "bf16.onnx").exists()

    @keras.saving.register_keras_serializable(package="test_portable_export")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2

    L_in = keras.Input((None, None, 1))  # noqa: N806
    (tmp_path / "unknown").mkdir()
    keras.Model(L_in, Twice()(L_in)).save(str(tmp_path / "unknown" / "generator.keras"))
    keras.saving.get_custom_objects().pop("test_portable_export>Twice")  # a class this process does not know
    with pytest.raises(ExportRefused, match="does not load") as refused:
        export_portable(str(tmp_path / "unknown"), str(tmp_path / "unknown.onnx"), "onnx")
    assert "\n" not in str(refused.value)

    (tmp_path / "taken.onnx").write_bytes(b"the user's")
    with pytest.raises(ExportRefused, match="--overwrite"):
        export_portable(str(models / "discriminator"), str(tmp_path / "taken.onnx"), "onnx")
    assert (tmp_path / "taken.onnx").read_bytes() == b"the user's"


def test_cli_export_writes_and_refuses_in_one_line(models, tmp_path, capsys):
    from pipelines.cli import main

    assert main(["export", "--format", "onnx", "--model", str(models / "discriminator"),
                 "--output", str(tmp_path / "d")]) == 0
    assert (tmp_path / "d.onnx").exists() and "discriminator ->" in capsys.readouterr().out
    assert main(["export", "--format", "litert", "--model", str(tmp_path / "nothing"), "--output",
                 str(tmp_path / "x.tflite")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("colordisc: error:") and "\n" not in err and not (tmp_path / "x.tflite").exists()


def test_exported_files_get_the_umask(models, tmp_path):
    """As the README promises: 0o666 less the umask (tempfile made them 0o600 whatever it was)."""
    old = os.umask(0o027)
    try:
        [(path, _, _)] = export_portable(str(models / "discriminator"), str(tmp_path / "d.onnx"), "onnx")
    finally:
        os.umask(old)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)
    assert os.listdir(tmp_path) == ["d.onnx"]  # nothing written aside is left


def _bare(fmt, path, **inputs):
    """The file run as a user runs it, without portable_runtime's checks."""
    if fmt == "onnx":
        import onnxruntime as ort

        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        return dict(zip([o.name for o in session.get_outputs()], session.run(None, inputs)))
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=path).get_signature_runner()(**inputs)


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_the_runners_refuse_inputs_under_8_pixels_and_the_bare_files_do_what_the_docs_say(exported, fmt):
    from colordisc_tf.serve.portable_runtime import MIN_SIDE, InputRefused

    assert MIN_SIDE == 8
    for role, name, channels in (("generator", "L", 1), ("discriminator", "lab", 3)):
        path = exported[role, fmt]
        run = runner(fmt, path)
        for height, width in ((1, 1), (7, 40), (40, 7)):
            with pytest.raises(InputRefused) as refused:
                run(**{name: np.full((1, height, width, channels), 50, np.float32)})
            message = str(refused.value)
            assert message.startswith(f"{path}: input {name} is {height}x{width} pixels") and "at least 8x8" in message
            assert "\n" not in message
        with pytest.raises(InputRefused, match=r"shape \[8, 8, %d\]; the file takes \[N, H, W, C\]" % channels):
            run(**{name: np.full((8, 8, channels), 50, np.float32)})
        assert all(np.isfinite(value).all() for value in run(**{name: np.full((1, 8, 8, channels), 50, np.float32)}).values())
    # docs/deploy.md's contract: the bare generator fails in its mirror pad below 4 px; the bare
    # discriminator answers at 1x1, a realness that judges nothing
    with pytest.raises(Exception, match="(?i)pad"):
        _bare(fmt, exported["generator", fmt], L=np.full((1, 1, 1, 1), 50, np.float32))
    assert _bare(fmt, exported["generator", fmt], L=np.full((1, 4, 4, 1), 50, np.float32))["ab"].shape == (1, 4, 4, 2)
    scores = _bare(fmt, exported["discriminator", fmt], lab=np.full((1, 1, 1, 3), 50, np.float32))
    assert scores["realness"].shape == (1,) and 0 <= scores["realness"][0] <= 1


def test_pad_to_multiple_is_numpys_symmetric_pad():
    from colordisc_tf.models.generator import PadToMultiple

    for shape in ((2, 45, 70, 1), (1, 40, 56, 1), (1, 9, 17, 2)):
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        want = np.pad(x, [(0, 0), (0, -shape[1] % 8), (0, -shape[2] % 8), (0, 0)], mode="symmetric")
        traced = tf.function(PadToMultiple(8), input_signature=[tf.TensorSpec([None, None, None, shape[3]])])
        assert traced.get_concrete_function().structured_outputs.shape[-1] == shape[3]  # what LiteRT needs
        np.testing.assert_array_equal(traced(x).numpy(), want)


def test_the_onnx_generator_is_the_graph_a_deployment_engineer_would_write(exported):
    """portable_onnx's two rewrites took hold: TensorFlow's dilated convs (SpaceToBatchND -> Conv2D ->
    BatchToSpaceND with run-time paddings; tf2onnx alone made Transpose / SpaceToDepth chains of them)
    are six dilated Convs, and the decode is exp + one Conv with the bins, not LogSoftmax / Softmax
    across NCHW channels. That the numbers stay the model's is test_generator_file_equals_..."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(exported["generator", "onnx"]).graph
    ops = [node.op_type for node in graph.node]
    dilated = [node for node in graph.node if node.op_type == "Conv"
               and [a.ints for a in node.attribute if a.name == "dilations"] == [[2, 2]]]
    assert len(dilated) == 6  # conv5_1..3, conv6_1..3
    assert not {"SpaceToDepth", "DepthToSpace", "Softmax", "LogSoftmax", "MatMul"} & set(ops)
    assert ops.count("Transpose") <= 4
    [decode] = [node for node in graph.node if node.name == "decode_as_one_conv/sums"]
    # the models fixture's confidence_power: the gate multiplies the rewritten decode's ab
    assert [node.op_type for node in graph.node if node.name == "decode_as_one_conv/gate_nchw"] == ["Transpose"]
    filters = {init.name: numpy_helper.to_array(init) for init in graph.initializer}[decode.input[1]]
    gain = 1.3  # the models fixture's chroma_gain: in the bins' filters, the ones row (the sum) untouched
    np.testing.assert_allclose(filters[:, :, 0, 0], np.concatenate([gain * AB_BINS.T, np.ones((1, 313))]), rtol=1e-6)


def _auc_oracle(pred, truth, weights=None):
    """Raw accuracy AuC written out: share of pixels within t for t = 0..150, trapezoids, in %."""
    error = np.sqrt(((pred.astype(np.float64) - truth) ** 2).sum(-1)).ravel()
    weights = np.ones_like(error) if weights is None else np.asarray(weights, np.float64).ravel()
    within = np.array([weights[error <= t].sum() for t in range(151)]) / weights.sum()
    return 100 * float(((within[1:] + within[:-1]) / 2).sum() / 150)


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_int8_is_measured_on_photos_and_refused_with_its_cost_over_the_bounds(models, tmp_path, fmt):
    """export_quantized: the int8 file is written with its cost against the float file, and each
    number is what the two files give on the photos (recomputed here); bounds it cannot meet refuse
    it in one line with the measured numbers, and nothing is written."""
    from colordisc_tf.color.srgb8 import srgb8_to_lab
    from colordisc_tf.data.image_io import resize_and_center_crop
    from colordisc_tf.serve.portable_export import export_quantized
    from colordisc_tf.serve.portable_quality import QuantizationBounds, measured_photos

    unbounded = QuantizationBounds(np.inf, np.inf, np.inf)
    held_out = tmp_path / "held_out"
    held_out.mkdir()
    from PIL import Image
    from skimage import data

    Image.fromarray(data.rocket()).save(held_out / "rocket.png")
    [(path, role, cost)] = export_quantized(str(models / "generator"), str(tmp_path / "g"), fmt, held_out=str(held_out),
                                            bounds=unbounded)
    assert role == "generator" and path.endswith(".onnx" if fmt == "onnx" else ".tflite")
    assert set(cost) == {"bundled photos", "held-out photos"}
    int8, full = runner(fmt, path), runner(fmt, export_portable(str(models / "generator"), str(tmp_path / "f"), fmt)[0][0])
    labs = np.concatenate([srgb8_to_lab(resize_and_center_crop(p, 32))[None] for p in measured_photos()])
    for name, run in (("int8", int8), ("float", full)):
        pred = np.concatenate([run(L=lab[None, ..., :1])["ab"] for lab in labs])
        assert cost["bundled photos"]["auc_raw"][name] == pytest.approx(_auc_oracle(pred, labs[..., 1:]), abs=1e-6)
    measures = cost["bundled photos"]
    assert measures["auc_raw"]["cost"] == pytest.approx(measures["auc_raw"]["float"] - measures["auc_raw"]["int8"])
    assert set(measures) == {"auc_raw", "auc_rebalanced", "per_image_delta_cf"}

    with pytest.raises(ExportRefused, match="costs more than allowed") as refused:
        export_quantized(str(models / "generator"), str(tmp_path / "refused"), fmt,
                         bounds=QuantizationBounds(auc_points=-1.0))
    message = str(refused.value)
    assert "\n" not in message and "raw AuC" in message and "allowed -1" in message
    assert f"{measures['auc_raw']['float']:.2f} -> {measures['auc_raw']['int8']:.2f}" in message
    assert not list(tmp_path.glob("refused*"))


def test_int8_discriminator_cost_is_its_realness_difference(models, tmp_path):
    from colordisc_tf.serve.portable_export import export_quantized
    from colordisc_tf.serve.portable_quality import QuantizationBounds

    [(path, role, cost)] = export_quantized(str(models / "discriminator"), str(tmp_path / "d.onnx"), "onnx",
                                            bounds=QuantizationBounds(np.inf, np.inf, np.inf))
    assert role == "discriminator" and set(cost["bundled photos"]) == {"realness"}
    realness = cost["bundled photos"]["realness"]
    assert 0 <= realness["cost"] and 0 < realness["float"] < 1 and 0 < realness["int8"] < 1


def test_a_format_is_one_registration(models, tmp_path, capsys):
    """The registry is the one place: a format registered there is exported, checked in its runner
    and offered by the command line (here ONNX under another name and extension)."""
    from colordisc_tf.serve.portable_formats import FORMATS, Format, register_format
    from pipelines.cli import main

    onnx = FORMATS["onnx"]
    register_format(Format("onnx-copy", ".onnxcopy", "ONNX Runtime", onnx.needs, onnx.convert, onnx.runner))
    try:
        assert main(["export", "--format", "onnx-copy", "--model", str(models / "discriminator"),
                     "--output", str(tmp_path / "d")]) == 0
        assert (tmp_path / "d.onnxcopy").exists()
        with pytest.raises(ExportRefused, match="--quantize int8 has no onnx-copy form"):
            from colordisc_tf.serve.portable_export import export_quantized

            export_quantized(str(models / "discriminator"), str(tmp_path / "q"), "onnx-copy")
    finally:
        FORMATS.pop("onnx-copy")
    with pytest.raises(SystemExit):  # argparse's own refusal of a choice it does not offer
        main(["export", "--format", "onnx-copy", "--model", str(models / "discriminator"), "--output", str(tmp_path / "e")])
    assert "invalid choice: 'onnx-copy'" in capsys.readouterr().err


def test_cli_quantize_writes_int8_within_bounds_and_held_out_needs_it(models, tmp_path, capsys, monkeypatch):
    import colordisc_tf.serve.portable_quality as quality
    from pipelines.cli import main

    # the tiny test model is not trained: its int8 cost says nothing, so the bounds are opened here
    monkeypatch.setattr(quality.QuantizationBounds.__init__, "__defaults__", (np.inf, np.inf, np.inf))
    assert main(["export", "--format", "onnx", "--quantize", "int8", "--model", str(models / "generator"),
                 "--output", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "export: int8 generator ->" in out and "bundled photos: auc_raw" in out and (tmp_path / "g.onnx").exists()
    assert main(["export", "--format", "onnx", "--held-out", str(tmp_path), "--model", str(models / "generator"),
                 "--output", str(tmp_path / "h")]) == 2
    assert "add --quantize int8" in capsys.readouterr().err
    assert main(["export", "--format", "onnx", "--quantize", "int8", "--held-out", str(tmp_path / "none"),
                 "--model", str(models / "generator"), "--output", str(tmp_path / "h")]) == 2
    err = capsys.readouterr().err
    assert "none: not a folder" in err and "\n" not in err.strip()
