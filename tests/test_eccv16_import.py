import numpy as np
import pytest

torch = pytest.importorskip("torch")

from colordisc_tf.models.eccv16_import import import_eccv16  # noqa: E402
from reference.eccv16_torch import eccv16_torch  # noqa: E402


def _randomised(width, seed=0):
    torch.manual_seed(seed)
    ref = eccv16_torch(width)
    with torch.no_grad():
        for module in ref.modules():  # non-trivial BN statistics too
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return ref.eval()


@pytest.mark.parametrize("width", [1.0, 0.25])
def test_imported_weights_reproduce_reference_logits(tmp_path, width):
    ref = _randomised(width)
    path = tmp_path / "eccv16.pth"
    torch.save(ref.state_dict(), path)
    model = import_eccv16(str(path))
    rng = np.random.default_rng(1)
    l_chan = rng.uniform(0, 100, (2, 64, 48, 1)).astype(np.float32)
    ours = np.asarray(model(l_chan, training=False))
    with torch.no_grad():
        theirs = ref(torch.from_numpy((l_chan - 50) / 100).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    assert ours.shape == theirs.shape == (2, 16, 12, 313)
    scale = np.abs(theirs).max()
    assert np.abs(ours - theirs).max() <= 1e-4 * max(1.0, scale), np.abs(ours - theirs).max()


def test_not_an_eccv16_state_dict(tmp_path):
    with pytest.raises(ValueError, match="not an ECCV16 state dict"):
        import_eccv16({"foo.weight": np.zeros(3)})


def test_import_cli_then_colorize_cli(tmp_path):
    from PIL import Image

    from pipelines.cli import main
    from colordisc_tf.serve.saving import load_generator

    ref = _randomised(0.125)
    torch.save(ref.state_dict(), tmp_path / "w.pth")
    assert main(["import-eccv16", str(tmp_path / "w.pth"), "--output", str(tmp_path / "gen"), "--serving-size", "32"]) == 0
    assert load_generator(str(tmp_path / "gen"))[0].get_layer("conv1_1").filters == 8
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (50, 30), (120, 80, 40)).save(photos / "a.jpg")
    Image.new("RGB", (17, 33), (20, 80, 140)).save(photos / "b.png")
    (photos / "c.png").write_bytes(b"garbage")
    rc = main(["colorize", "--model", str(tmp_path / "gen"), str(photos), "--output", str(tmp_path / "out")])
    assert rc == 0
    assert Image.open(tmp_path / "out" / "a.png").size == (50, 30)
    assert Image.open(tmp_path / "out" / "b.png").size == (17, 33)
    assert not (tmp_path / "out" / "c.png").exists()
