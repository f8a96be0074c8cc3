"""The starter colorizer: its photo set (sources, groups, hold-out, tiles), the held-out
comparison against grey, and the shipped model that the demo starts from."""

import io
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from colordisc_tf.data import starter_photos
from colordisc_tf.models.starter import STARTER_DIR, resolve_init

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _photo(seed: int, size=(300, 200)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


def _jpeg(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=90)
    return out.getvalue()


def _make_deb(folder, package: str, images: dict[str, np.ndarray], copyright_text: str,
              under: str = "usr/share/backgrounds", files: dict[str, bytes] | None = None) -> str:
    """A real .deb (dpkg-deb --build) holding images (names relative to `under`), other files
    (paths from the root) and a copyright file."""
    root = folder / f"{package}_root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: test\n")
    backgrounds = root / under
    for name, rgb in images.items():
        (backgrounds / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(backgrounds / name)
    for path, body in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(body)
    doc = root / "usr" / "share" / "doc" / package
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_text)
    deb = folder / f"{package}_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True, capture_output=True)
    shutil.rmtree(root)
    return str(deb)


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_debian_photos_keeps_the_photographs_lists_the_art_and_reads_each_licence(tmp_path):
    copyright_text = ("Format: x\n\nFiles: 16.04/Bridge_by_Sander_Klootwijk.jpg\nCopyright: 2018 Sander\n"
                      "License: CC-BY-SA-4.0\n\nFiles: abstract.png\nCopyright: 2020 Someone\nLicense: GPL-3\n")
    _make_deb(tmp_path, "lomiri-wallpapers-16.04",
              {"Bridge_by_Sander_Klootwijk.jpg": _photo(0), "abstract.png": _photo(1)}, copyright_text)
    for package in set(starter_photos.DEBIAN_PACKAGES) - {"lomiri-wallpapers-16.04"}:
        _make_deb(tmp_path, package, {}, "")
    excluded = []
    photos = list(starter_photos._debian_photos(str(tmp_path), excluded))
    assert [p.name for p in photos] == ["Bridge_by_Sander_Klootwijk"]
    assert photos[0].licence.startswith("CC-BY-SA-4.0") and photos[0].source == "lomiri-wallpapers-16.04"
    assert photos[0].rgb.shape == (200, 300, 3)
    assert excluded == [{"source": "lomiri-wallpapers-16.04", "file": "abstract.png",
                         "reason": "not a photograph (abstract art, pattern or logo)"}]


def _webp(rgb: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="WEBP", lossless=True)
    return buffer.getvalue()


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_gcompris_photos_come_from_its_resource_files_with_each_licence(tmp_path):
    from test_qt_resources import write_rcc

    act = "gcompris/src/activities/"
    rcc_files = {
        act + "erase/resource/alpaca.webp": _webp(_photo(3)),
        act + "erase/resource/README": b"Copyright: Dietmar\nLicense: CC-BY-SA-4.0\nFiles: alpaca.webp\n",
        act + "erase/resource/square.svg": b"<svg/>",
        act + "erase/Erase.qml": b"Item {}",
        act + "explore_monuments/resource/france/Eiffel_tower2.webp": _webp(_photo(4)),
        act + "lang/resource/words_sample/apple.webp": _webp(_photo(5)),  # clip art
    }
    rcc = write_rcc(rcc_files, compress={act + "erase/resource/alpaca.webp"})
    _make_deb(tmp_path, starter_photos.GCOMPRIS_PACKAGE, {}, "", files={"usr/share/gcompris-qt/rcc/a.rcc": rcc})
    excluded = []
    photos = list(starter_photos._gcompris_photos(str(tmp_path), excluded))
    assert [(p.name, p.group) for p in photos] == [
        ("gcompris_erase_alpaca", "gcompris_alpaca"),
        ("gcompris_explore_monuments_france_Eiffel_tower2", "gcompris_eiffeltower2")]
    assert photos[0].licence == "CC-BY-SA-4.0 (Dietmar)" and photos[1].licence.startswith("GPL-3+")
    np.testing.assert_array_equal(photos[0].rgb, _photo(3))  # lossless: the pixels that went in
    assert sorted(e["file"] for e in excluded) == [act + "erase/resource/square.svg",
                                                   act + "lang/resource/words_sample/apple.webp"]
    with pytest.raises(FileNotFoundError, match="apt-get download gcompris-qt-data"):
        list(starter_photos._gcompris_photos(str(tmp_path / "nowhere"), []))


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_app_photos_are_turned_as_shown_and_carry_each_licence(tmp_path):
    from colordisc_tf.data import app_photos

    tall = np.zeros((60, 40, 3), np.uint8)
    tall[:30, :, 0], tall[30:, :, 2] = 220, 220  # red above blue: JPEG keeps which is where
    index = (b'<db><images><image file="sideways_1.jpg" description="a > in a description" angle="90" width="40">'
             b'<options/></image><image file="sideways_2.jpg" width="40" height="60"/></images></db>')
    _make_deb(tmp_path, "kphotoalbum", {"kphotoalbum/demo/sideways_1.jpg": tall, "doc/HTML/en/screen.png": _photo(11)},
              "", under="usr/share", files={"usr/share/kphotoalbum/demo/index.xml": index})
    desktop = b"[Desktop Entry]\nName=Bee\nX-KDE-PluginInfo-Author=J. Severns\nX-KDE-PluginInfo-License=Public Domain\n"
    _make_deb(tmp_path, "palapeli-data", {"palapeli/collection/bee.jpg": _photo(12), "palapeli/backgrounds/wood.jpg":
                                          _photo(13)}, "", under="usr/share",
              files={"usr/share/palapeli/collection/bee.desktop": desktop})
    _make_deb(tmp_path, "tuxpaint-data", {"tuxpaint/templates/cliff.jpg": _photo(14), "tuxpaint/starters/reef-back.png":
                                          _photo(15), "tuxpaint/starters/car.png": _photo(16)}, "", under="usr/share")
    with pytest.raises(FileNotFoundError, match="apt-get download puzzle-jigsaw"):
        list(app_photos.app_photos(str(tmp_path), []))
    old = _make_deb(tmp_path, "puzzle-jigsaw", {"puzzle-jigsaw/samples/lion.jpeg": _photo(18)}, "", under="usr/share")
    os.rename(old, tmp_path / "puzzle-jigsaw_0.9_all.deb")  # an older version beside the newer: read once, the newer
    _make_deb(tmp_path, "puzzle-jigsaw", {"puzzle-jigsaw/samples/tiger.jpeg": _photo(17)}, "", under="usr/share")
    excluded = []
    photos = {p.name: p for p in app_photos.app_photos(str(tmp_path), excluded)}
    assert sorted(photos) == ["kphotoalbum_sideways_1", "palapeli-data_bee", "puzzle-jigsaw_tiger",
                              "tuxpaint-data_cliff", "tuxpaint-data_reef-back"]
    # KPhotoAlbum shows it turned 90 degrees clockwise: what np.rot90 gives with k=-1
    turned, oracle = photos["kphotoalbum_sideways_1"].rgb, np.rot90(tall, k=-1)
    assert turned.shape == oracle.shape == (40, 60, 3)
    for half in (np.s_[:, :24], np.s_[:, 36:]):  # away from the edge JPEG's chroma blurs
        np.testing.assert_allclose(turned[half], oracle[half], atol=40)
    assert photos["kphotoalbum_sideways_1"].group == "kphotoalbum_sideways"  # _1, _2 ... of one visit: one unit
    assert photos["palapeli-data_bee"].licence.startswith("Public Domain (J. Severns")
    assert photos["tuxpaint-data_reef-back"].licence.startswith("public domain (NOAA")
    assert photos["tuxpaint-data_cliff"].licence.startswith("GPL-2+") and photos["puzzle-jigsaw_tiger"].licence.startswith("CC0")
    assert sorted(e["file"] for e in excluded) == ["usr/share/doc/HTML/en/screen.png", "usr/share/palapeli/backgrounds/wood.jpg",
                                                  "usr/share/tuxpaint/starters/car.png"]


def test_a_missing_package_is_named_with_the_command_that_fetches_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"apt-get download .*gnome-backgrounds"):
        list(starter_photos._debian_photos(str(tmp_path), []))


def test_shots_split_at_cuts_and_only_there():
    a, b = np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 200, np.uint8)
    frames = [a, a + 1, a + 2, b, b - 1, a]
    assert starter_photos._shots(frames) == [[0, 1, 2], [3, 4], [5]]


def test_tiles_cover_each_scale_and_never_upscale():
    rgb = _photo(2, size=(400, 200))  # short side 200
    tiles = list(starter_photos._tiles(rgb, 100, scales=(100, 200, 800)))
    shorts = sorted({t[0] for t in tiles})
    assert shorts == [100, 200]  # 800 is taken at the photo's own 200
    assert sum(t[0] == 100 for t in tiles) == 2 and sum(t[0] == 200 for t in tiles) == 8
    assert all(t[3].shape == (100, 100, 3) for t in tiles)
    # at the photo's own size, a tile is the photo's pixels (no resampling)
    _, y, x, tile = next(t for t in tiles if t[0] == 200)
    np.testing.assert_array_equal(tile, rgb[y:y + 100, x:x + 100])


def test_holdout_is_a_fifth_of_the_groups_and_stable():
    groups = [f"g{i}" for i in range(28)]
    held = starter_photos._holdout_groups(groups + groups[:5])  # duplicates: one group, counted once
    assert len(held) == round(0.2 * 28) and held <= set(groups)
    assert held == starter_photos._holdout_groups(list(reversed(groups)))


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_evaluation_photos_are_the_listed_photographs_at_their_largest(tmp_path):
    from colordisc_tf.data.evaluation_photos import EVALUATION_PACKAGES, write_evaluation_set

    debs = tmp_path / "debs"
    debs.mkdir()
    mate = {f"mate/nature/{n}.jpg": _photo(i, (90, 60)) for i, n in enumerate(EVALUATION_PACKAGES["mate-backgrounds"])}
    mate["mate/desktop/Stripes.png"] = _photo(99, (90, 60))  # abstract: not listed
    plasma = {f"{n}/contents/images/{w}x{h}.jpg": _photo(i, (w, h))
              for i, n in enumerate(EVALUATION_PACKAGES["plasma-workspace-wallpapers"]) for w, h in ((64, 48), (120, 90))}
    plasma["Altai/contents/images/120x90.png"] = _photo(98, (120, 90))
    _make_deb(debs, "mate-backgrounds", mate, "")
    with pytest.raises(FileNotFoundError, match="plasma-workspace-wallpapers"):
        write_evaluation_set(str(debs), str(tmp_path / "out"))
    _make_deb(debs, "plasma-workspace-wallpapers", plasma, "", under="usr/share/wallpapers")
    lxqt = {f"wallpapers/{n}.png": _photo(i, (90, 60)) for i, n in enumerate(EVALUATION_PACKAGES["lxqt-themes"])}
    lxqt["themes/frost/fog.png"] = _photo(97, (300, 200))  # a theme's own image of the same name: not the wallpaper
    _make_deb(debs, "lxqt-themes", lxqt, "", under="usr/share/lxqt")
    # an .edj keeps each size of a wallpaper as a JPEG among other bytes (one of them a false JPEG start)
    edj_sizes = {n: (70 + i, 50) for i, n in enumerate(EVALUATION_PACKAGES["enlightenment-data"])}
    largest = {n: _jpeg(_photo(i, size)) for i, (n, size) in enumerate(edj_sizes.items())}
    edj = {f"usr/share/enlightenment/data/backgrounds/{n}.edj":
           b"\x1e\xe7\x0a\xe7eet\xff\xd8\xff\x00" + _jpeg(_photo(50, (32, 24))) + largest[n] + _jpeg(_photo(51, (40, 30)))
           + b"\x00" * 16
           for n in edj_sizes}
    _make_deb(debs, "enlightenment-data", {}, "", files=edj)
    counts = write_evaluation_set(str(debs), str(tmp_path / "out"), short_side=80)
    assert counts == {"mate-backgrounds": 12, "plasma-workspace-wallpapers": 12, "lxqt-themes": 11,
                      "enlightenment-data": 14}
    written = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png")}
    assert written == {f"{pkg}/{n}.png" for pkg, names in EVALUATION_PACKAGES.items() for n in names}
    assert Image.open(tmp_path / "out" / "plasma-workspace-wallpapers" / "Kite.png").size == (107, 80)  # of 120x90
    assert Image.open(tmp_path / "out" / "mate-backgrounds" / "Dune.png").size == (90, 60)  # never upscaled
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "lxqt-themes" / "fog.png")),
                                  lxqt["wallpapers/fog.png"])
    for name in ("Bamboo", "Yellow-Flower"):  # the largest JPEG, decoded as Pillow decodes it alone
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "enlightenment-data" / f"{name}.png")),
                                      np.asarray(Image.open(io.BytesIO(largest[name])).convert("RGB")))


def test_grey_scores_against_an_independent_recomputation(tmp_path):
    """holdout.compare's grey row: AuC of ab = 0 against the truth's ab (skimage's Lab), CF of
    the grey image 0, PSNR as NumPy computes it."""
    from skimage.color import rgb2lab

    from colordisc_tf import metrics
    from colordisc_tf.evaluate.holdout import GREY, compare

    paths = []
    for i in range(2):
        path = tmp_path / f"{i}.png"
        Image.fromarray(_photo(10 + i, size=(300, 260))).save(path)
        paths.append(str(path))
    prior = np.full(313, 1 / 313)
    scores, colorized = compare({GREY: None}, paths, prior)
    truths = colorized["truth"]
    assert truths[0].shape == (256, 256, 3)
    ab_true = np.concatenate([rgb2lab(t / 255.0)[..., 1:].reshape(-1, 2) for t in truths])
    expected = metrics.auc_raw_accuracy(np.zeros_like(ab_true), ab_true)
    assert scores[GREY]["auc_raw"] == pytest.approx(expected, abs=0.5)
    assert scores[GREY]["cf"] < 1.0  # grey has (almost) no colourfulness
    grey = colorized[GREY][0].astype(np.float64)
    mse = np.mean((grey - truths[0]) ** 2)
    psnrs = [10 * np.log10(255.0 ** 2 / np.mean((g.astype(np.float64) - t) ** 2))
             for g, t in zip(colorized[GREY], truths)]
    assert mse > 0 and scores[GREY]["psnr"] == pytest.approx(np.mean(psnrs), abs=1e-6)


def test_margins_over_grey_carry_paired_intervals_within_the_photos_own_range(tmp_path):
    """compare's vs_grey: the starter's margin is its score minus grey's, and its paired interval
    lies inside the range of the per-photo margins (a mean of resampled photos cannot leave it:
    recomputed per photo with skimage's Lab); grey against itself is 0 with the interval [0, 0]."""
    from skimage.color import rgb2lab

    from colordisc_tf import metrics
    from colordisc_tf.evaluate.holdout import GREY, compare, photo_auc_raw

    paths = []
    for i, saturation in enumerate((0.05, 0.4, 1.0)):  # photos grey leaves near or far from the truth
        rgb = _photo(20 + i, size=(280, 260)).astype(np.float64)
        grey = rgb.mean(-1, keepdims=True)
        path = tmp_path / f"{i}.png"
        Image.fromarray((grey + saturation * (rgb - grey)).round().astype(np.uint8)).save(path)
        paths.append(str(path))
    scores, colorized = compare({GREY: None, "also_grey": None, "starter": STARTER_DIR}, paths, np.full(313, 1 / 313))
    assert "vs_grey" not in scores[GREY]
    same = scores["also_grey"]["vs_grey"]
    assert same["auc_raw"] == 0 and same["auc_raw_ci"] == [0, 0] and same["auc_rebalanced_ci"] == [0, 0]
    margin = scores["starter"]["vs_grey"]
    assert margin["auc_raw"] == pytest.approx(scores["starter"]["auc_raw"] - scores[GREY]["auc_raw"], abs=1e-9)
    assert margin["psnr"] == pytest.approx(scores["starter"]["psnr"] - scores[GREY]["psnr"], abs=1e-9)

    def per_photo_auc(images):
        return np.array([metrics.auc_raw_accuracy(rgb2lab(x / 255.0)[..., 1:].reshape(-1, 2),
                                                  rgb2lab(t / 255.0)[..., 1:].reshape(-1, 2))
                         for x, t in zip(images, colorized["truth"])])

    per_photo = per_photo_auc(colorized["starter"]) - per_photo_auc(colorized[GREY])
    assert margin["auc_raw"] == pytest.approx(per_photo.mean(), abs=0.5)  # equal-sized photos: pooled = mean
    low, high = margin["auc_raw_ci"]
    assert per_photo.min() - 0.5 <= low <= margin["auc_raw"] <= high <= per_photo.max() + 0.5
    assert high - low > 0.5  # photos of different saturation: the interval has width
    own = photo_auc_raw(colorized["starter"], colorized["truth"])  # which photo a margin comes from
    assert own == pytest.approx(per_photo_auc(colorized["starter"]), abs=0.5)


def test_the_pooled_set_is_every_photo_nobody_here_chose(tmp_path):
    from colordisc_tf.evaluate.starter_card import POOLED, photo_sets

    photos = [{"name": "wall", "source": "lomiri-wallpapers", "split": "holdout"},
              {"name": "coffee", "source": "scikit-image", "split": "holdout"},
              {"name": "sheep", "source": "tuxpaint-data", "split": "holdout"},  # chosen here: calibration only
              {"name": "trained", "source": "lomiri-wallpapers", "split": "train"}]
    (tmp_path / "manifest.json").write_text(json.dumps({"photos": photos}))
    assert POOLED not in photo_sets(str(tmp_path))  # no evaluation packages: nothing to pool
    for package, names in (("mate-backgrounds", ("Dune", "Aqua")), ("plasma-workspace-wallpapers", ("Kite",))):
        (tmp_path / "evaluation" / package).mkdir(parents=True)
        for name in names:
            Image.fromarray(_photo(0, (40, 30))).save(tmp_path / "evaluation" / package / f"{name}.png")
    sets = photo_sets(str(tmp_path))
    names = {key: sorted(os.path.basename(p) for p in paths) for key, paths in sets.items()}
    assert names["holdout_bundled"] == ["coffee.png"] and names["holdout_apps"] == ["sheep.png"]
    assert names["holdout_unseen"] == ["wall.png"]
    assert names[POOLED] == ["Aqua.png", "Dune.png", "Kite.png", "wall.png"]
    assert len(sets[POOLED]) == len(set(sets[POOLED]))


def test_a_remeasure_keeps_the_shipped_training_time_and_contact_sheet(tmp_path):
    from colordisc_tf.evaluate.starter_card import _previous_card

    with pytest.raises(FileNotFoundError, match="nothing to re-measure"):
        _previous_card(str(tmp_path))
    (tmp_path / "generator.keras").write_bytes(b"")
    (tmp_path / "MODEL_CARD.md").write_text("x\n\nContact sheet: `benchmarks/results/old.jpg`.\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"training_seconds": 2098.0}))
    assert _previous_card(str(tmp_path)) == {"training_seconds": 2098.0, "sheet": "benchmarks/results/old.jpg"}
    (tmp_path / "metrics.json").write_text(json.dumps({"training_seconds": 5.0, "sheet": "new.jpg"}))
    assert _previous_card(str(tmp_path))["sheet"] == "new.jpg"  # metrics.json's, once it keeps one


def test_init_starter_names_the_shipped_model():
    assert resolve_init("starter") == STARTER_DIR
    assert resolve_init("/some/dir") == "/some/dir" and resolve_init(None) is None
    from colordisc_tf.serve.saving import load_generator

    model, config = load_generator(STARTER_DIR)
    assert config.width <= 0.25 and model.count_params() < 2_000_000
    size = sum(os.path.getsize(os.path.join(STARTER_DIR, f)) for f in ("generator.keras", "config.json"))
    assert size < 8 * 2**20  # "a few MB": it ships in the package


def test_the_starter_ships_with_its_card_and_the_card_tells_what_metrics_json_holds():
    """The card's held-out table is metrics.json's numbers, with grey beside the starter on each set."""
    card = open(os.path.join(STARTER_DIR, "MODEL_CARD.md")).read()
    with open(os.path.join(STARTER_DIR, "metrics.json")) as f:
        metrics = json.load(f)
    assert {"holdout_unseen", "holdout_bundled"} <= set(metrics["sets"])
    for scores in metrics["sets"].values():
        assert {"grey", "starter"} <= set(scores)
        for name in ("grey", "starter"):
            assert f"| {name} | {scores[name]['auc_raw']:.2f} | {scores[name]['auc_rebalanced']:.2f} |" in card
    counts = metrics["counts"]
    assert "licence" in card.lower() and counts["photos"] == counts["train_photos"] + counts["holdout_photos"] >= 30
    # the shipped gain is the fitted one, aimed CHROMA_BELOW under the calibration photos (never the pooled)
    from colordisc_tf.evaluate.starter_card import CALIBRATION, CHROMA_BELOW, POOLED

    with open(os.path.join(STARTER_DIR, "config.json")) as f:
        config = json.load(f)
    assert config["chroma_gain"] == metrics["chroma_fit"]["gain"]
    if config.get("confidence_power"):  # the card says the decoding serving uses
        assert f"^ {config['confidence_power']:g} (`confidence_power`)" in card
    for name, what in metrics.get("compared", {}).items():  # what each model beside it is
        assert f"Beside it, **{name}**: `{what['path']}`" in card
        assert all(name in scores for scores in metrics["sets"].values())
    assert metrics["chroma_fit"]["below"] == CHROMA_BELOW and metrics["chroma_fit"]["text"] in card
    assert metrics["chroma_fit"]["photos"] == sum(len(metrics["sets"][s]["photos"]) for s in CALIBRATION if s in metrics["sets"])
    assert "holdout_apps" in CALIBRATION and POOLED not in CALIBRATION


def test_the_demo_starts_from_the_starter_and_the_closing_lines_say_so():
    from colordisc_tf.config import load_config
    from pipelines.local_runner import smoke_steps
    from pipelines.run_summary import started_from

    config = load_config(os.path.join(REPO, "pipelines", "configs", "demo.json"))
    assert config.generator.init == "starter" and config.generator.steps == 0
    assert smoke_steps(config).generator.steps == 0  # the smoke run does not retrain it either
    assert "starter colorizer" in started_from(config) and "used as is" in started_from(config)
    scratch = load_config(os.path.join(REPO, "pipelines", "configs", "full.json"))
    assert started_from(scratch).startswith("trained from scratch")


def test_an_init_that_is_not_there_is_one_config_error(tmp_path, monkeypatch):
    from colordisc_tf.config import ConfigError, load_config
    from colordisc_tf.models import starter

    monkeypatch.setattr(starter, "STARTER_DIR", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match=r"generator.init: the starter colorizer is not in this install"):
        load_config(None, {"generator": {"init": "starter", "steps": 0}})


def test_a_changed_init_model_is_a_new_cache_key(tmp_path):
    """The config says only `init: "starter"`; the GeneratorTrainer's cache key carries the
    content hash of what it names, so new starter weights are not served from the cache."""
    from pipelines.colordisc_pipeline import create_pipeline, model_fingerprint
    from colordisc_tf.config import GeneratorConfig, PipelineConfig

    model = tmp_path / "init"
    model.mkdir()
    (model / "generator.keras").write_bytes(b"one")
    (model / "config.json").write_text("{}")
    first = model_fingerprint(str(model))
    (model / "generator.keras").write_bytes(b"two")
    assert model_fingerprint(str(model)) != first and model_fingerprint(None) is None
    config = PipelineConfig(data=(str(tmp_path),), pipeline_root=str(tmp_path / "root"), push=False,
                            generator=GeneratorConfig(init=str(model), steps=0))
    trainer = {c.id: c for c in create_pipeline(config, input_fingerprint="-", local_metadata=False).components}[
        "GeneratorTrainer"]
    assert trainer.exec_properties["init_fingerprint"] == model_fingerprint(str(model))


def test_against_goal_reads_each_bound_as_issue_33_states_it():
    from colordisc_tf.evaluate.starter_card import against_goal

    grey = {"auc_raw": 80.0, "auc_rebalanced": 60.0, "delta_cf": 60.0}
    met, line = against_goal({"grey": grey, "starter": {"auc_raw": 80.0, "auc_rebalanced": 65.0, "delta_cf": 8.0}})
    assert met and "missed" not in line  # each bound is inclusive
    for worse in ({"auc_raw": 79.99}, {"auc_rebalanced": 64.99}, {"delta_cf": 8.01}):
        starter = {"auc_raw": 80.0, "auc_rebalanced": 65.0, "delta_cf": 8.0, **worse}
        met, line = against_goal({"grey": grey, "starter": starter})
        assert not met and line.count("missed") == 1


def test_the_chroma_gain_fit_makes_the_colorizations_as_colourful_as_the_photos():
    """fit_chroma_gain against an independent recomputation: the cuts colorized at the fitted gain,
    scored by metrics.colorfulness, have the photos' mean CF; a gain past GAIN_BOUNDS is clipped."""
    import types

    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.evaluate.chroma_calibration import GAIN_BOUNDS, fit_chroma_gain
    from colordisc_tf.evaluate.holdout import served_cut
    from colordisc_tf.metrics import colorfulness

    bins = np.loadtxt(os.path.join(REPO, "colordisc_tf", "data", "ab_bins_313.csv"), delimiter=",", skiprows=1)

    def raw(l_small):  # a hedging network: half on a dull orange, half on grey, varying with L
        logits = np.full((*np.shape(l_small)[:3], 313), -8.0, np.float32)
        logits[..., int(np.argmin(np.linalg.norm(bins - [15, 30], axis=1)))] = 0.0
        logits[..., int(np.argmin(np.linalg.norm(bins, axis=1)))] = np.asarray(l_small)[..., 0] / 50.0
        return logits

    network = types.SimpleNamespace(raw=raw, decoding=Decoding(), model_size=32)
    rng = np.random.default_rng(0)
    base = np.linspace(60, 200, 64)[None, :, None] + rng.normal(0, 6, (64, 64, 1))
    photos = [np.clip(base * np.array(tint), 0, 255).astype(np.uint8) for tint in ((1.0, 0.9, 0.8), (1.0, 0.92, 0.85))]
    fit = fit_chroma_gain(network, photos)
    truth_cf = np.mean([colorfulness(p) for p in photos])
    at_fit = np.mean([colorfulness(served_cut(raw, p, 32, Decoding(chroma_gain=fit.gain))) for p in photos])
    at_one = np.mean([colorfulness(served_cut(raw, p, 32, Decoding())) for p in photos])
    assert fit.gain > 1.2 and not fit.clipped  # the hedge is duller than the photos
    assert at_one == pytest.approx(fit.cf_before, abs=0.01) and fit.cf_truth == pytest.approx(truth_cf, abs=0.01)
    assert at_fit == pytest.approx(truth_cf, abs=0.5) and fit.cf_after == pytest.approx(at_fit, abs=0.01)
    under = fit_chroma_gain(network, photos, below=4.0)  # aimed 4 CF points under the photos'
    at_under = np.mean([colorfulness(served_cut(raw, p, 32, Decoding(chroma_gain=under.gain))) for p in photos])
    assert at_under == pytest.approx(truth_cf - 4.0, abs=0.5) and 1.0 < under.gain < fit.gain
    assert "aimed 4 under" in under.describe()
    grey = [np.repeat(p[..., :1], 3, axis=-1) for p in photos]  # nothing to match: the lowest gain, said so
    low = fit_chroma_gain(network, grey)
    assert low.clipped and low.gain == GAIN_BOUNDS[0] and "clipped" in low.describe()


def test_a_tiles_scale_is_read_back_from_its_name_and_selects_the_training_tiles():
    from benchmarks.starter_averaging import select_tiles
    from colordisc_tf.data.record_format import encode_lab_example

    # the photo's own name may look like a tile's: only the end of the name counts
    names = [starter_photos.tile_name("Gold_s12_0001_0002", short, y, 0) for short, y in
             ((160, 0), (320, 0), (320, 160), (640, 0), (640, 160), (640, 320))]
    assert [starter_photos.tile_short_side(f"/x/train/{n}") for n in names] == [160, 320, 320, 640, 640, 640]
    with pytest.raises(ValueError, match="Gold.png"):
        starter_photos.tile_short_side("/x/train/Gold.png")

    lab = np.zeros((4, 4, 3), np.float32)
    records = [encode_lab_example(lab, n, f"/x/train/{n}", 4, 4) for n in names]
    assert select_tiles(records, max_short=320) == records[:3]  # at the bound: kept
    repeated = select_tiles(records, repeat_short=(320, 3))
    assert len(repeated) == 3 * 3 + 3 and all(repeated.count(r) == (3 if i < 3 else 1) for i, r in enumerate(records))
    kept = select_tiles(records, keep_tiles=4, seed=1)
    assert len(kept) == 4 and len(set(kept)) == 4 and set(kept) <= set(records)
    assert select_tiles(records) == records
