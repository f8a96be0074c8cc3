"""FID: the Fréchet distance against scipy.linalg.sqrtm and the diagonal closed form; the Keras
FID Inception against pytorch-fid's own network (random weights, imported through a .pth file;
the oracle needs a folder of its own: tests/fid_oracle.py says how)."""

import numpy as np
import pytest
import scipy.linalg

from colordisc_tf.evaluate.frechet import feature_statistics, fid_from_features, frechet_distance
from fid_oracle import pytorch_fid, raw_photos


def _scipy_frechet(mu1, sigma1, mu2, sigma2):
    """pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of the product)."""
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    covmean = covmean.real
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def _correlated(rng, n, d, shift=0.0, scale=1.0):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return (rng.normal(size=(n, d)) @ mixing) * scale + shift


@pytest.mark.parametrize("n, d", [(400, 32), (300, 96), (60, 96)])  # the last: rank-deficient, as N < 2048 is
def test_frechet_distance_matches_scipy_sqrtm(n, d):
    rng = np.random.default_rng(d + n)
    a = _correlated(rng, n, d)
    b = _correlated(rng, n + 37, d, shift=rng.normal(size=d) * 0.3, scale=1.3)
    ours = fid_from_features(a, b)
    theirs = _scipy_frechet(*feature_statistics(a), *feature_statistics(b))
    assert ours == pytest.approx(theirs, rel=1e-6)
    assert fid_from_features(b, a) == pytest.approx(ours, rel=1e-9)


def test_frechet_distance_diagonal_closed_form():
    rng = np.random.default_rng(3)
    mu1, mu2 = rng.normal(size=50), rng.normal(size=50)
    var1, var2 = rng.uniform(0.1, 4.0, 50), rng.uniform(0.1, 4.0, 50)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_shifts_add_their_square():
    features = _correlated(np.random.default_rng(4), 400, 32)
    assert abs(fid_from_features(features, features)) < 1e-8
    shift = np.full(32, 0.5)
    assert fid_from_features(features, features + shift) == pytest.approx(32 * 0.25, rel=1e-8)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="do not match"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match="N >= 2"):
        feature_statistics(np.zeros((1, 5)))


@pytest.mark.parametrize("shape", [(256, 256), (400, 333)])  # up and down (no antialiasing in either)
def test_fid_input_step_is_pytorch_fids_resize_and_scaling(shape):
    torch = pytest.importorskip("torch")
    from PIL import Image

    from colordisc_tf.models.fid_inception import FidInput

    photos = np.stack([np.asarray(Image.fromarray(p).resize(shape[::-1])) for p in raw_photos()[:2]]) / 255.0
    ours = np.asarray(FidInput()(photos.astype(np.float32)))
    with torch.no_grad():
        x = torch.from_numpy(photos.astype(np.float32)).permute(0, 3, 1, 2)
        theirs = (torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False) * 2 - 1)
    assert np.abs(ours - theirs.permute(0, 2, 3, 1).numpy()).max() < 1e-5


def _assert_same_features(ours, theirs):
    assert ours.shape == theirs.shape
    assert np.abs(theirs).max() > 1.0 and theirs.std(axis=0).mean() > 1e-3  # random weights that carry signal
    assert np.abs(ours - theirs).max() <= 1e-4 * np.abs(theirs).max(), np.abs(ours - theirs).max()


def test_imported_weights_reproduce_pytorch_fid_on_photos_at_their_size():
    """The weights alone, quickly: both networks built with resize_input=False, on 96-px photos (the
    resize is tested above, the whole network at 299 in the slow test below)."""
    from colordisc_tf.models.fid_inception_import import import_fid_inception

    oracle = pytorch_fid(96, resize=False)
    model = import_fid_inception(oracle["state"], resize_input=False)
    _assert_same_features(np.asarray(model(oracle["photos"].astype(np.float32) / 255.0)), oracle["features"])


@pytest.mark.slow
def test_imported_fid_inception_reproduces_pytorch_fid_features():
    """The whole network as FID uses it: photos at 256 (val5k's size) resized to 299 inside."""
    import torch

    from colordisc_tf.models.fid_inception_import import import_fid_inception

    oracle = pytorch_fid(256, resize=True)
    model = import_fid_inception(oracle["state"])
    _assert_same_features(np.asarray(model(oracle["photos"].astype(np.float32) / 255.0)), oracle["features"])
    weights = {k: v.numpy() for k, v in torch.load(oracle["state"], weights_only=True).items()}
    weights["AuxLogits.fc.weight"] = np.zeros((1008, 768), np.float32)  # torchvision's aux head: another network
    with pytest.raises(ValueError, match="does not have"):
        import_fid_inception(weights)


def test_import_rejects_other_state_dicts():
    from colordisc_tf.models.fid_inception_import import import_fid_inception

    with pytest.raises(ValueError, match="not an Inception-v3"):
        import_fid_inception({"model1.0.weight": np.zeros((64, 1, 3, 3))})
    with pytest.raises(ValueError, match="1000 classes"):  # torchvision's ImageNet Inception: other features
        import_fid_inception({"Mixed_7c.branch_pool.conv.weight": np.zeros((192, 2048, 1, 1)),
                              "fc.weight": np.zeros((1000, 2048))})


def test_before_after_reports_the_fields_delta_cf_and_the_fid_of_colorized_vs_truth(tmp_path):
    """BeforeAfterEvaluator's numbers: ΔCF = |mean CF - mean CF(truth)| (the per-image mean under its
    own name) and, given a feature network, the FID of the colorized set against the truth."""
    import keras
    import tensorflow as tf

    from colordisc_tf import metrics
    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.data.record_format import decode_lab_example, encode_lab_example
    from colordisc_tf.evaluate.before_after import score_generator
    from colordisc_tf.models import build_generator
    from colordisc_tf.serve.inference import decode_to_rgb

    rng = np.random.default_rng(5)
    records = {f"img{i}": encode_lab_example(np.concatenate([rng.uniform(20, 80, (32, 32, 1)),
                                                             rng.uniform(-50, 50, (32, 32, 2))], -1), f"img{i}", "/x.png",
                                             32, 32) for i in range(5)}
    path = tmp_path / "Split-eval" / "data.gz"
    path.parent.mkdir()
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for record in records.values():
            writer.write(record)
    keras.utils.set_random_seed(0)
    features = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(6, 3, activation="relu"),
                                 keras.layers.GlobalAveragePooling2D()])
    discriminator = lambda lab_batch, training=False: tf.zeros((int(lab_batch.shape[0]), 1, 1, 1))  # noqa: E731
    result, per_image = score_generator(build_generator(0.0625), str(path.parent / "*"), {"fixed": discriminator},
                                        Decoding(), fid_model=features)

    def rgb(lab):
        return np.asarray(decode_to_rgb(lab[None, ..., :1], lab[None, ..., 1:]))[0]

    keys = sorted(per_image)
    truth = np.stack([rgb(decode_lab_example(records[k])["lab"]) for k in keys])
    colorized = np.stack([rgb(per_image[k][1]) for k in keys])
    cf, cf_truth = metrics.colorfulness(colorized), metrics.colorfulness(truth)
    assert result["delta_cf"] == pytest.approx(abs(cf.mean() - cf_truth.mean()), rel=1e-6)
    assert result["per_image_delta_cf"] == pytest.approx(np.abs(cf - cf_truth).mean(), rel=1e-6)
    expected = fid_from_features(features.predict(colorized / 255.0, verbose=0), features.predict(truth / 255.0, verbose=0))
    assert result["fid"] == pytest.approx(expected, rel=1e-4) and result["fid"] > 0
