"""`colordisc evaluate`: the protocol's cut against CT2's (torchvision's own transforms), the set
metrics against independent re-computations (NumPy, skimage, colordisc_tf.metrics on pooled
pixels, the discriminator's serving SavedModel), the colorization against what a pushed model's
serving_default returns, ΔCF as the field defines it, a killed run that resumes, and the inputs
it refuses in one line (an --output inside --images, bad FID weights)."""

import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from colordisc_tf.evaluate import protocol
from colordisc_tf.evaluate.per_image import measure
from colordisc_tf.evaluate.run_store import FEATURE_FILES, LOCK, ROWS, open_store
from colordisc_tf.evaluate.summary import fold_interval, summarize
from fid_oracle import pytorch_fid, raw_photos
from killing import kill_when


def test_val5k_is_the_first_5000_imagenet_validation_names():
    names = protocol.read_image_list(protocol.VAL5K)
    assert names == protocol.val5k_names()
    assert len(names) == len(set(names)) == 5000
    assert names[0] == "ILSVRC2012_val_00000001.JPEG" and names[-1] == "ILSVRC2012_val_00005000.JPEG"
    assert all(re.fullmatch(r"ILSVRC2012_val_\d{8}\.JPEG", n) for n in names)


@pytest.mark.parametrize("text, message", [("a.jpg\n../b.jpg\n", "line 2"), ("a.jpg\n# c\na.jpg\n", "listed twice"),
                                           ("# nothing\n\n", "names no images"), ("/etc/passwd\n", "not a path inside")])
def test_a_bad_list_is_named_with_its_line(tmp_path, text, message):
    (tmp_path / "list.txt").write_text(text)
    with pytest.raises(ValueError, match=message):
        protocol.read_image_list(str(tmp_path / "list.txt"))


def test_the_cut_is_ct2s_torchvision_center_crop_and_resize():
    oracle = pytorch_fid(96, resize=False)
    ours = np.stack([protocol.prepare(p, 96) for p in raw_photos()])
    assert ours.shape == oracle["photos"].shape
    assert np.array_equal(ours, oracle["photos"])


def _ab(rng, shape):
    return np.round(rng.uniform(-60, 60, shape + (2,)), 1)


def test_pooled_auc_from_per_image_rows_is_metrics_auc_on_the_pooled_pixels():
    from colordisc_tf import metrics
    from colordisc_tf.color.bins import NUM_BINS, nearest_bin

    rng = np.random.default_rng(0)
    rgb = np.zeros((16, 16, 3), np.uint8)
    trues = [_ab(rng, (16, 16)) for _ in range(4)]
    preds = [t + rng.choice([0.0, 3.0, 12.0, 160.0], t.shape[:-1] + (1,)) * np.array([0.6, 0.8]) for t in trues]
    preds[1] = trues[1] + np.array([3.0, 4.0])  # errors of exactly 5: the threshold's edge
    rows = [measure(rgb, rgb, p, t) for p, t in zip(preds, trues)]
    pooled_pred, pooled_true = np.concatenate(preds), np.concatenate(trues)
    counts = np.bincount(nearest_bin(pooled_true).ravel(), minlength=NUM_BINS)
    given = rng.dirichlet(np.ones(NUM_BINS))
    for prior, expected_prior in [(None, counts / counts.sum()), (given, given)]:
        result = summarize(rows, prior=prior)
        assert result["auc_raw"] == pytest.approx(metrics.auc_raw_accuracy(pooled_pred, pooled_true), abs=1e-9)
        assert result["auc_rebalanced"] == pytest.approx(metrics.auc_rebalanced(pooled_pred, pooled_true, expected_prior),
                                                         abs=1e-9)
    for row, p, t in zip(rows, preds, trues):
        assert row["auc_raw"] == pytest.approx(metrics.auc_raw_accuracy(p, t), abs=1e-9)


def _rows(cf, cf_truth):
    return [{"colorfulness": a, "colorfulness_truth": b, "psnr": 20.0, "bins": [0], "bin_pixels": [1], "bin_area": [1.0]}
            for a, b in zip(cf, cf_truth)]


def test_delta_cf_is_the_difference_of_the_means_and_the_per_image_one_keeps_its_own_name():
    result = summarize(_rows([10.0, 30.0, 22.0], [20.0, 20.0, 20.0]))
    assert result["delta_cf"] == pytest.approx(abs(62.0 / 3 - 20.0))
    assert result["per_image_delta_cf"] == pytest.approx((10 + 10 + 2) / 3)
    assert result["colorfulness_difference"] == pytest.approx(62.0 / 3 - 20.0)
    assert fold_interval([-1.0, 3.0]) == [0.0, 3.0] and fold_interval([-5.0, -2.0]) == [2.0, 5.0]
    assert result["delta_cf_ci"] == fold_interval(result["colorfulness_difference_ci"])


def _rgb_of_file(path):
    """The file as RGB, decoded here independently: alpha on white, gray to RGB (what Pillow gives)."""
    with Image.open(path) as image:
        if image.mode in ("RGBA", "LA"):
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            return np.asarray(Image.alpha_composite(white, image.convert("RGBA")).convert("RGB"))
        return np.asarray(image.convert("RGB"))


def _truth_recomputed(rgb):
    """Centre square (offsets rounded half to even, as torchvision's round) + Pillow bilinear to 256."""
    h, w = rgb.shape[:2]
    s = min(h, w)
    top, left = int(np.round((h - s) / 2)), int(np.round((w - s) / 2))
    return np.asarray(Image.fromarray(rgb[top:top + s, left:left + s]).resize((256, 256), Image.BILINEAR))


def _hasler_susstrunk(rgb):
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())


@pytest.fixture(scope="module")
def unseen_photos(tmp_path_factory):
    """Images no other test uses: scikit-image's colour wheel and logo (RGBA), camera and page
    (gray; page is smaller than 256: upscaled), a 257 x 300 made photo (odd crop offsets), and a
    text file (skipped, with its reason)."""
    from skimage import data

    folder = tmp_path_factory.mktemp("unseen")
    Image.fromarray(data.colorwheel()).save(folder / "colorwheel.png")
    Image.fromarray(data.logo()).save(folder / "logo.png")
    Image.fromarray(data.camera()).save(folder / "camera.jpg", quality=90)
    Image.fromarray(data.page()).save(folder / "page.png")
    y, x = np.mgrid[0:257, 0:300]
    made = np.stack([x * 255 // 299, y * 255 // 256, (x + y) % 256], -1).astype(np.uint8)
    Image.fromarray(made).save(folder / "made.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_evaluate_matches_an_independent_recomputation(tmp_path, tiny_models, unseen_photos, capsys):
    """The 'done when' check: CF, ΔCF and PSNR from the written colorizations and an independent cut
    of the truth, recomputed with NumPy and skimage, agree with metrics.json (criterion: 0.5 %;
    they agree to 1e-6)."""
    import tensorflow as tf
    from skimage.metrics import peak_signal_noise_ratio

    from colordisc_tf.serve.model_ref import load_signature
    from pipelines.cli import main

    out = tmp_path / "out"
    assert main(["evaluate", "--model", str(tiny_models["generator"]), "--images", str(unseen_photos), "--output", str(out),
                 "--discriminator", str(tiny_models["discriminator"]), "--save-images", "--batch-size", "2"]) == 0
    printed = capsys.readouterr().out
    assert "FID left out: no --fid-weights" in printed
    result = json.loads((out / "metrics.json").read_text())
    assert "fid" not in result and "no --fid-weights" in result["fid_note"]
    assert result["images"] == 5 and result["skipped"] == 1
    assert result["skipped_images"][0]["image"] == "notes.txt"
    rows = {json.loads(line)["image"]: json.loads(line) for line in (out / ROWS).read_text().splitlines()}
    score = load_signature(str(tiny_models["discriminator"]), "serving_default", "realness", "discriminator")
    cf, cf_truth, psnr = [], [], []
    for name in sorted(n for n in rows if "error" not in rows[n]):
        truth = _truth_recomputed(_rgb_of_file(unseen_photos / name))
        colorized = np.asarray(Image.open(out / "colorized" / f"{name}.png"))
        cf.append(_hasler_susstrunk(colorized))
        cf_truth.append(_hasler_susstrunk(truth))
        psnr.append(peak_signal_noise_ratio(truth, colorized, data_range=255))
        assert rows[name]["colorfulness"] == pytest.approx(cf[-1], rel=1e-6)
        assert rows[name]["colorfulness_truth"] == pytest.approx(cf_truth[-1], rel=1e-6, abs=1e-9)
        assert rows[name]["psnr"] == pytest.approx(psnr[-1], rel=1e-6)
        served = score(images=tf.constant([(out / "colorized" / f"{name}.png").read_bytes()]))["realness"].numpy()[0]
        assert rows[name]["realness"] == pytest.approx(float(served), abs=1e-5)
    assert result["colorfulness"] == pytest.approx(np.mean(cf), rel=1e-6)
    assert result["delta_cf"] == pytest.approx(abs(np.mean(cf) - np.mean(cf_truth)), rel=1e-6)
    assert result["per_image_delta_cf"] == pytest.approx(np.mean(np.abs(np.subtract(cf, cf_truth))), rel=1e-6)
    assert result["psnr"] == pytest.approx(np.mean(psnr), rel=1e-6)
    assert result["mean_realness"] == pytest.approx(np.mean([r["realness"] for r in rows.values() if "realness" in r]))
    for key in ("colorfulness", "delta_cf", "psnr", "auc_raw", "auc_rebalanced", "mean_realness"):
        low, high = result[f"{key}_ci"]
        assert low <= result[key] <= high, key
    page = (out / "index.html").read_text()
    assert "ΔCF" in page and "DDColor" in page and "examples/0.png" in page
    assert not (out / LOCK).exists()  # a finished run leaves no lock behind


def test_a_list_naming_missing_images_is_one_line_and_writes_nothing(tmp_path, tiny_models, unseen_photos, capsys):
    from pipelines.cli import main

    (tmp_path / "list.txt").write_text("colorwheel.png\nILSVRC2012_val_00000001.JPEG\n")
    rc = main(["evaluate", "--model", str(tiny_models["generator"]), "--images", str(unseen_photos),
               "--list", str(tmp_path / "list.txt"), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "1 of the 2 images" in err and "ILSVRC2012_val_00000001.JPEG" in err
    assert not (tmp_path / "out").exists()


def test_an_output_folder_is_resumed_only_by_the_same_evaluation(tmp_path):
    settings = {"model": "a", "protocol": 1}
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("mine")
    with pytest.raises(FileExistsError, match="not written by colordisc"):
        with open_store(str(mine), settings, None):
            pass
    assert sorted(os.listdir(mine)) == ["thesis.tex"]  # not even a lock file
    with open_store(str(tmp_path / "out"), settings, None) as store:
        store.append([{"image": "a.png", "error": "corrupt: x"}])
    with pytest.raises(FileExistsError, match="differs in: model"):
        with open_store(str(tmp_path / "out"), {**settings, "model": "b"}, None):
            pass
    with open_store(str(tmp_path / "out"), settings, None) as store:
        assert store.done() == {"a.png"}
    with open_store(str(tmp_path / "out"), {**settings, "model": "b"}, None, overwrite=True) as store:
        assert store.done() == set()


def test_a_torn_tail_is_dropped_on_reopening(tmp_path):
    """A kill mid-write leaves half a row and features ahead of their rows: reopening drops both."""
    rng = np.random.default_rng(0)
    features = [rng.normal(size=(3, 4)).astype(np.float32) for _ in range(2)]
    with open_store(str(tmp_path), {"s": 1}, 4) as store:
        store.append([{"image": f"{i}.png", "psnr": 1.0} for i in range(2)] + [{"image": "x.png", "error": "corrupt"}],
                     features[0][:2], features[1][:2])
    with open(tmp_path / ROWS, "a") as f:
        f.write('{"image": "2.png", "ps')
    for name, block in zip(FEATURE_FILES, features):
        with open(tmp_path / name, "ab") as f:
            f.write(block[2:].tobytes())
    with open_store(str(tmp_path), {"s": 1}, 4) as store:
        assert store.done() == {"0.png", "1.png", "x.png"}
        for ours, expected in zip(store.features(), features):
            assert np.array_equal(ours, expected[:2])
        store.append([{"image": "2.png", "psnr": 2.0}], features[0][2:], features[1][2:])
    with open_store(str(tmp_path), {"s": 1}, 4) as store:
        assert [r["image"] for r in store.rows] == ["0.png", "1.png", "x.png", "2.png"]
        assert all(np.array_equal(a, b) for a, b in zip(store.features(), features))


def test_an_interrupted_evaluation_resumes_where_it_stopped(tmp_path, tiny_models, unseen_photos, monkeypatch):
    from colordisc_tf.evaluate import standard

    args = dict(model=str(tiny_models["generator"]), images_dir=str(unseen_photos), batch_size=2, log=lambda _: None)
    clean = standard.evaluate_images(output_dir=str(tmp_path / "clean"), **args)
    measured = []

    def stop_after_three(*rows):
        if len(measured) == 3:
            raise KeyboardInterrupt("simulated kill")
        measured.append(1)
        return measure(*rows)

    monkeypatch.setattr(standard, "measure", stop_after_three)
    with pytest.raises(KeyboardInterrupt):
        standard.evaluate_images(output_dir=str(tmp_path / "out"), **args)
    done = [json.loads(line)["image"] for line in (tmp_path / "out" / ROWS).read_text().splitlines()]
    assert len(done) == 2 and not (tmp_path / "out" / "metrics.json").exists()  # the first batch, whole
    measured.clear()
    monkeypatch.setattr(standard, "measure", lambda *rows: measured.append(1) or measure(*rows))
    resumed = standard.evaluate_images(output_dir=str(tmp_path / "out"), **args)
    assert done == ["camera.jpg", "colorwheel.png"]
    assert len(measured) == 3  # logo, made, page: not the two done before (notes.txt is no image)
    assert resumed == clean


@pytest.mark.slow
def test_a_killed_command_resumes_and_ends_as_an_uninterrupted_one(tmp_path, tiny_models, unseen_photos):
    command = [sys.executable, "-m", "pipelines.cli", "evaluate", "--model", str(tiny_models["generator"]), "--images",
               str(unseen_photos), "--batch-size", "1"]
    rows = tmp_path / "out" / ROWS
    kill_when(command + ["--output", str(tmp_path / "out")],
              lambda: rows.exists() and rows.read_text().count("\n") >= 2, timeout=300, what="evaluate")
    subprocess.run(command + ["--output", str(tmp_path / "out")], check=True, capture_output=True)
    subprocess.run(command + ["--output", str(tmp_path / "clean")], check=True, capture_output=True)
    resumed, clean = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("out", "clean"))
    assert resumed == clean
    assert len(rows.read_text().splitlines()) == 6


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # 5 images: singular covariances, as FID of 5 is
def test_evaluate_fid_is_pytorch_fids_on_the_same_images(tmp_path, tiny_models, unseen_photos):
    """FID end to end: `colordisc evaluate --fid-weights` on the unseen photos against pytorch-fid's own
    network (the same random weights) on the colorizations it wrote and the truth cut the CT2 way,
    with pytorch-fid's Fréchet formula (scipy.linalg.sqrtm)."""
    import scipy.linalg

    from fid_oracle import pytorch_fid_features
    from pipelines.cli import main

    state = pytorch_fid(256, resize=True)["state"]
    out = tmp_path / "out"
    assert main(["evaluate", "--model", str(tiny_models["generator"]), "--images", str(unseen_photos), "--output",
                 str(out), "--fid-weights", state, "--save-images"]) == 0
    result = json.loads((out / "metrics.json").read_text())
    names = sorted(p.name for p in unseen_photos.iterdir() if p.suffix != ".txt")
    colorized = [np.asarray(Image.open(out / "colorized" / f"{n}.png")) for n in names]
    truth = [_truth_recomputed(_rgb_of_file(unseen_photos / n)) for n in names]
    theirs = [pytorch_fid_features(images, state).astype(np.float64) for images in (colorized, truth)]
    mu1, mu2 = (f.mean(0) for f in theirs)
    sigma1, sigma2 = (np.cov(f, rowvar=False) for f in theirs)
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    expected = (mu1 - mu2) @ (mu1 - mu2) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
    assert result["fid"] == pytest.approx(expected, rel=1e-3)
    ours = np.fromfile(out / "features_colorized.f32", np.float32).reshape(-1, 2048)
    assert np.abs(ours - theirs[0]).max() <= 1e-4 * np.abs(theirs[0]).max()


def test_the_docs_print_the_published_table_the_page_shows():
    import pathlib

    from colordisc_tf.evaluate.published import markdown_table

    docs = pathlib.Path(__file__).resolve().parents[1] / "docs" / "evaluation.md"
    assert markdown_table() in docs.read_text()


@pytest.fixture(scope="module")
def served_generator(tmp_path_factory):
    """A tiny generator whose colours depend on what it sees (spread_models), serving size 32:
    its model directory, what a Pusher leaves of it (saved_models/colordisc_generator/1), and a
    colorizer with realness made of it (no generator_output: evaluate runs its serving_default)."""
    import keras

    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.models import build_discriminator, build_generator
    from colordisc_tf.serve.export import export_colorizer_with_realness
    from colordisc_tf.serve.saving import save_generator
    from spread_models import spread_like_trained

    root = tmp_path_factory.mktemp("served")
    keras.utils.set_random_seed(1)
    generator = build_generator(0.0625)
    spread_like_trained(generator)
    config = GeneratorConfig(width=0.0625, serving_size=32)
    save_generator(generator, config, str(root / "model"))
    shutil.copytree(root / "model" / "serving", root / "saved_models" / "colordisc_generator" / "1")
    export_colorizer_with_realness(generator, build_discriminator(8, depth=2), str(root / "with_realness"),
                                   config.decoding, model_size=32, discriminator_size=32)
    return {"model": root / "model", "pushed": root / "saved_models" / "colordisc_generator",
            "with_realness": root / "with_realness"}


def _served(serving_default, truth):
    """The cut as a PNG request to serving_default, its answer decoded."""
    request = io.BytesIO()
    Image.fromarray(truth).save(request, "PNG")
    answer = serving_default(images=np.array([request.getvalue()], dtype=object))["colorized"].numpy()[0]
    return np.asarray(Image.open(io.BytesIO(answer)).convert("RGB"))


def test_evaluate_a_pushed_generator_measures_what_serving_default_returns(tmp_path, served_generator, unseen_photos):
    """The 'done when' check: `evaluate --model saved_models/colordisc_generator` works, and its CF,
    ΔCF and PSNR equal a recomputation through the SavedModel's serving_default on the protocol's
    cut (criterion: 1 %, 0.5, 0.2 dB). The network run at 256 -- protocol version 1 -- misses it by
    more, so the check bites; the model directory and a colorizer with realness give the same."""
    import tensorflow as tf
    from skimage.metrics import peak_signal_noise_ratio

    from colordisc_tf.color.srgb8 import lab_to_srgb8, srgb8_to_lab
    from pipelines.cli import main

    assert main(["evaluate", "--model", str(served_generator["pushed"]), "--images", str(unseen_photos), "--output",
                 str(tmp_path / "pushed"), "--save-images"]) == 0
    result = json.loads((tmp_path / "pushed" / "metrics.json").read_text())
    signatures = tf.saved_model.load(str(served_generator["pushed"] / "1")).signatures
    cf, cf_truth, psnr, cf_256, psnr_256, off_served, off_256 = [], [], [], [], [], [], []
    for name in sorted(p.name for p in unseen_photos.iterdir() if p.suffix != ".txt"):
        truth = _truth_recomputed(_rgb_of_file(unseen_photos / name))
        served = _served(signatures["serving_default"], truth)
        cf.append(_hasler_susstrunk(served))
        cf_truth.append(_hasler_susstrunk(truth))
        psnr.append(peak_signal_noise_ratio(truth, served, data_range=255))
        L = srgb8_to_lab(truth)[None, ..., :1].astype(np.float32)  # noqa: N806
        at_256 = lab_to_srgb8(np.concatenate([L, signatures["colorize_lab"](L=tf.constant(L))["ab"].numpy()], -1))[0]
        cf_256.append(_hasler_susstrunk(at_256))
        psnr_256.append(peak_signal_noise_ratio(truth, at_256, data_range=255))
        written = np.asarray(Image.open(tmp_path / "pushed" / "colorized" / f"{name}.png")).astype(int)
        off_served.append(np.abs(written - served).max())
        off_256.append(np.abs(written - at_256).max())
    assert result["images"] == len(cf) == 5
    assert result["colorfulness"] == pytest.approx(np.mean(cf), rel=0.01)
    assert result["delta_cf"] == pytest.approx(abs(np.mean(cf) - np.mean(cf_truth)), abs=0.5)
    assert result["psnr"] == pytest.approx(np.mean(psnr), abs=0.2)
    print(f"evaluate vs serving_default: CF {result['colorfulness']:.3f} / {np.mean(cf):.3f}, ΔCF {result['delta_cf']:.3f} / "
          f"{abs(np.mean(cf) - np.mean(cf_truth)):.3f}, PSNR {result['psnr']:.3f} / {np.mean(psnr):.3f} dB, pixels within "
          f"{max(off_served)}; the network at 256: CF {np.mean(cf_256):.3f}, PSNR {np.mean(psnr_256):.3f} dB, pixels "
          f"{min(off_256)}..{max(off_256)} levels off")
    # each colorization is serving's (float32 noise between a batch and one request: a level), and
    # far from the network at 256 -- what protocol version 1 measured
    assert max(off_served) <= 1 and min(off_256) > 10

    assert result["protocol"]["version"] == 2 and "serving_default" in result["protocol"]["colorize"]
    assert result["model_size"] == 32 and "generator_output" in result["colorized_by"]
    assert result["model_found"] == f"{served_generator['pushed']} (version 1) holds a generator SavedModel"
    for source in ("model", "with_realness"):
        assert main(["evaluate", "--model", str(served_generator[source]), "--images", str(unseen_photos), "--output",
                     str(tmp_path / source)]) == 0
        other = json.loads((tmp_path / source / "metrics.json").read_text())
        for key in ("colorfulness", "delta_cf", "psnr", "auc_raw"):
            assert other[key] == pytest.approx(result[key], rel=1e-3, abs=1e-3), (source, key)
    # the colorizer with realness carries generator_output + settings too (the web page's slider reads them):
    # the same served path as the pushed generator
    assert "generator_output" in other["colorized_by"] and other["model_size"] == 32


@pytest.mark.parametrize("output", ["inside", "same"])
def test_an_output_inside_the_images_is_refused_before_anything_loads(tmp_path, unseen_photos, output, capsys):
    """Later evaluations would score its colorizations as photos. The --model is nothing at all:
    the refusal comes first."""
    from pipelines.cli import main

    images = tmp_path / "photos"
    shutil.copytree(unseen_photos, images)
    target = images / "eval" if output == "inside" else images
    before = sorted(os.listdir(images))
    assert main(["evaluate", "--model", str(tmp_path / "no_model"), "--images", str(images),
                 "--output", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("colordisc: error: --output") and "inside --images" in err and "\n" not in err
    assert sorted(os.listdir(images)) == before


def _bad_fid_weights(folder, kind):
    torch = pytest.importorskip("torch")
    path = folder / f"{kind}.pth"
    if kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(100_000))
    elif kind == "truncated":
        torch.save({"Mixed_7c.branch_pool.conv.weight": torch.ones(4, 4)}, path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "pickle":  # unpickled unsafely, it would create the marker file
        torch.save({"Mixed_7c.branch_pool.conv.weight": _Payload(str(folder / "payload_ran"))}, path)
    else:
        path.write_text("pt_inception-2015-12-05-6726825d.pth: ask the lab for it\n")
    return path


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("kind", ["random", "truncated", "pickle", "text"])
def test_bad_fid_weights_are_one_line_without_the_unsafe_hint(tmp_path, tiny_models, unseen_photos, kind, capsys):
    from pipelines.cli import main

    weights = _bad_fid_weights(tmp_path, kind)
    assert main(["evaluate", "--model", str(tiny_models["generator"]), "--images", str(unseen_photos),
                 "--output", str(tmp_path / "out"), "--fid-weights", str(weights)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"colordisc: error: {weights}: not a") and "\n" not in err, err
    assert "weights_only=False" not in err and "weights_only` set to `False" not in err and "Traceback" not in err
    assert not (tmp_path / "payload_ran").exists() and not (tmp_path / "out").exists()


def test_the_lock_holds_while_a_run_writes_and_is_gone_after(tmp_path, monkeypatch):
    from colordisc_tf.infra import file_lock

    folder = tmp_path / "out"
    with open_store(str(folder), {"s": 1}, None):
        assert (folder / LOCK).exists()
        with pytest.raises(FileExistsError, match="another run is writing"):
            with open_store(str(folder), {"s": 1}, None):
                pass
    assert not (folder / LOCK).exists()
    # A finishing run removes the lock file between this run's open and its flock: the lock this
    # run then takes is on a file nobody else can see, so it must open the path again.
    real_flock, removed = file_lock.fcntl.flock, []

    def flock_after_removal(handle, operation):
        if not removed and operation != file_lock.fcntl.LOCK_UN:
            removed.append(handle.name)
            os.unlink(handle.name)
        return real_flock(handle, operation)

    monkeypatch.setattr(file_lock.fcntl, "flock", flock_after_removal)
    with open_store(str(folder), {"s": 1}, None):
        assert removed and (folder / LOCK).exists()
        monkeypatch.setattr(file_lock.fcntl, "flock", real_flock)
        with pytest.raises(FileExistsError, match="another run is writing"):
            with open_store(str(folder), {"s": 1}, None):
                pass
    assert sorted(os.listdir(folder)) == [".colordisc-output", ROWS, "run.json"]
