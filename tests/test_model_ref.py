"""One --model: every form (pushed folder, version folder, SavedModel, model directory, Keras
file) resolves through colordisc_tf.serve.model_ref, every command takes each, and a refusal
names what the path holds."""

import shutil

import numpy as np
import pytest
from PIL import Image

from colordisc_tf.serve.model_ref import ModelRefused, resolve_model


@pytest.fixture(scope="module")
def serving_root(tiny_models, tmp_path_factory):
    """A Pusher's destination. colordisc_generator: version 2 a discriminator, 10 the generator,
    11 a push still under way (no saved_model.pb): only "newest integer version that holds a
    SavedModel" finds the generator (sorted as text, 2 would be newest)."""
    root = tmp_path_factory.mktemp("saved_models")
    shutil.copytree(tiny_models["discriminator"] / "serving", root / "colordisc_generator" / "2")
    shutil.copytree(tiny_models["generator"] / "serving", root / "colordisc_generator" / "10")
    (root / "colordisc_generator" / "11" / "variables").mkdir(parents=True)
    shutil.copytree(tiny_models["discriminator"] / "serving", root / "colordisc_discriminator" / "1")
    shutil.copytree(tiny_models["colorizer_with_realness"], root / "colordisc_colorizer_with_realness" / "1")
    tfx_artifact = root.parent / "tfx_model"  # a TFX Model artifact that holds only Format-Serving/
    shutil.copytree(tiny_models["generator"] / "serving", tfx_artifact / "Format-Serving")
    return root


def test_every_form_resolves_to_what_it_holds(tiny_models, serving_root):
    generator = tiny_models["generator"]
    cases = [
        (serving_root / "colordisc_generator", "generator", "pushed folder", str(serving_root / "colordisc_generator" / "10"), None),
        (serving_root / "colordisc_generator" / "10", "generator", "version folder", str(serving_root / "colordisc_generator" / "10"), None),
        (generator / "serving", "generator", "SavedModel", str(generator / "serving"), None),
        (generator, "generator", "model directory", str(generator / "serving"), str(generator)),
        (generator / "generator.keras", "generator", "Keras file", None, str(generator / "generator.keras")),
        (serving_root.parent / "tfx_model", "generator", "SavedModel", str(serving_root.parent / "tfx_model" / "Format-Serving"), None),
        (tiny_models["discriminator"], "discriminator", "model directory", str(tiny_models["discriminator"] / "serving"),
         str(tiny_models["discriminator"])),
        (serving_root / "colordisc_discriminator", "discriminator", "pushed folder", str(serving_root / "colordisc_discriminator" / "1"), None),
        (serving_root / "colordisc_colorizer_with_realness", "colorizer_with_realness", "pushed folder",
         str(serving_root / "colordisc_colorizer_with_realness" / "1"), None),
    ]
    for path, kind, form, saved_model, keras in cases:
        ref = resolve_model(str(path))
        assert (ref.kind, ref.form, ref.saved_model, ref.keras) == (kind, form, saved_model, keras), path
    # a colorizer with realness serves where a generator is wanted (its serving_default colorizes)
    assert resolve_model(str(serving_root / "colordisc_colorizer_with_realness"), "generator").kind == "colorizer_with_realness"
    assert "version 10" in resolve_model(str(serving_root / "colordisc_generator")).describe()


def test_a_refusal_names_what_the_path_holds(tiny_models, serving_root, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "unfinished" / "3").mkdir(parents=True)
    cases = [
        (serving_root / "colordisc_discriminator", "generator", "--model",
         f"{serving_root / 'colordisc_discriminator'} (version 1) holds a discriminator SavedModel; --model wants a generator"),
        (tiny_models["generator"], "discriminator", "--discriminator",
         f"{tiny_models['generator']} holds a generator model directory; --discriminator wants a discriminator"),
        (serving_root / "colordisc_generator", "colorizer_with_realness", "--model",
         "(version 10) holds a generator SavedModel; --model wants a colorizer with realness"),
        (tmp_path / "photos", "generator", "--model", "holds no model (it holds a.png)"),
        (tmp_path / "empty", "generator", "--model", "holds no model (it is empty)"),
        (tmp_path / "unfinished", "generator", "--model", "version folders (3) hold no saved_model.pb"),
        (tmp_path / "nothing", "generator", "--model", "no such file or folder"),
        (tmp_path / "photos" / "a.png", "generator", "--model", "is a file, not a model"),
    ]
    for path, kind, flag, words in cases:
        with pytest.raises(ModelRefused) as refused:
            resolve_model(str(path), kind, flag)
        assert words in str(refused.value) and "\n" not in str(refused.value), (path, str(refused.value))


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("colordisc: error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def test_every_command_refuses_the_wrong_model_in_one_line(tiny_models, serving_root, tmp_path, capsys):
    from pipelines.cli import main

    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(tmp_path / "photo.png")
    (tmp_path / "photos").mkdir()
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(tmp_path / "photos" / "photo.png")
    (tmp_path / "clip.mp4").write_bytes(b"never opened: the model is refused first")
    discriminator = str(serving_root / "colordisc_discriminator")
    generator = str(serving_root / "colordisc_generator")
    commands = {
        "colorize": ["colorize", "--model", discriminator, str(tmp_path / "photo.png"), "--output", str(tmp_path / "c")],
        "colorize --discriminator": ["colorize", "--model", generator, "--discriminator", generator, "--realness",
                                     str(tmp_path / "photo.png"), "--output", str(tmp_path / "c")],
        "colorize --decode guided": ["colorize", "--decode", "guided", "--model", generator, str(tmp_path / "photo.png"),
                                     "--output", str(tmp_path / "c")],
        "realness": ["realness", "--discriminator", generator, str(tmp_path / "photo.png")],
        "colorize-video": ["colorize-video", str(tmp_path / "clip.mp4"), "--model", discriminator, "--output",
                           str(tmp_path / "v")],
        "colorize-video --discriminator": ["colorize-video", str(tmp_path / "clip.mp4"), "--model", generator,
                                           "--discriminator", generator, "--output", str(tmp_path / "v")],
        "evaluate": ["evaluate", "--model", discriminator, "--images", str(tmp_path / "photos"), "--output",
                     str(tmp_path / "e")],
        "evaluate --discriminator": ["evaluate", "--model", generator, "--discriminator", generator, "--images",
                                     str(tmp_path / "photos"), "--output", str(tmp_path / "e")],
        "export": ["export", "--format", "onnx", "--model", str(tmp_path / "photos"), "--output", str(tmp_path / "x.onnx")],
    }
    for name, argv in commands.items():
        assert main(argv) == 2, name
        err = _one_line_error(capsys)
        flag = "--discriminator" if "--discriminator" in name or name == "realness" else "--model"
        if name == "export":
            assert "holds no model (it holds photo.png)" in err, err
        else:
            assert "holds a" in err and f"; {flag} wants a" in err, (name, err)
    assert not any((tmp_path / d).exists() for d in ("c", "v", "e", "x.onnx"))


def test_colorize_and_realness_take_the_pushed_folders_newest_version(tiny_models, serving_root, tmp_path, capsys):
    """colorize through saved_models/colordisc_generator is serving_default of its version 10."""
    import tensorflow as tf

    from pipelines.cli import main

    rgb = np.random.default_rng(0).integers(0, 256, (20, 28, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    assert main(["colorize", "--model", str(serving_root / "colordisc_generator"), str(tmp_path / "photo.png"),
                 "--output", str(tmp_path / "out")]) == 0
    served = tf.saved_model.load(str(serving_root / "colordisc_generator" / "10")).signatures["serving_default"]
    expected = served(images=tf.constant([(tmp_path / "photo.png").read_bytes()]))["colorized"].numpy()[0]
    assert (tmp_path / "out" / "photo.png").read_bytes() == expected
    capsys.readouterr()
    assert main(["realness", "--discriminator", str(serving_root / "colordisc_discriminator"),
                 str(tmp_path / "photo.png")]) == 0
    score = tf.saved_model.load(str(tiny_models["discriminator"] / "serving")).signatures["serving_default"]
    want = float(score(images=tf.constant([(tmp_path / "photo.png").read_bytes()]))["realness"].numpy()[0])
    assert capsys.readouterr().out.split()[0] == f"{want:.4f}"

