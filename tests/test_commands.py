"""Every command's defaults, read through the real parser, reach the library call as documented.

Each test runs `colordisc <command>` (pipelines.cli.main) with only the required arguments and
records what the handler passes to the library: the expected values are spelled out here (the
README's and --help's), so a changed default of any option fails. Heavy library modules
(TensorFlow, Beam, TFX) are stood in for in sys.modules, their signatures read from their source
so that a call the real function would refuse fails here too. The end-to-end runs at the bottom
use the real library on tiny inputs."""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import os
import pathlib
import re
import subprocess
import sys
import types

import pytest

from pipelines.cli import build_parser, main

MAX_PIXELS = 40_000_000  # README: preprocess, colorize-video --max-pixels "default 40 MP, as serving"


class Stop(Exception):
    """Raised by a stand-in to end a handler once the call that matters is recorded."""


class Call:
    """A stand-in library function: records each call (checked against `signature`) and answers `returns`."""

    def __init__(self, returns=None, signature: inspect.Signature | None = None):
        self.calls, self.returns, self.signature = [], returns, signature

    def __call__(self, *args, **kwargs):
        if self.signature is not None:
            self.signature.bind(*args, **kwargs)  # TypeError where the real function would refuse the call
        self.calls.append((args, kwargs))
        if isinstance(self.returns, BaseException):
            raise self.returns
        return self.returns(*args, **kwargs) if callable(self.returns) else self.returns

    @property
    def only(self):
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


def _source_signature(module: str, name: str) -> inspect.Signature | None:
    """`module.name`'s signature read from its source without importing it (following a re-export)."""
    tree = ast.parse(pathlib.Path(importlib.util.find_spec(module).origin).read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return None  # a class (a dataclass, an error): checked by value where it matters
        if isinstance(node, ast.FunctionDef) and node.name == name:
            a, P = node.args, inspect.Parameter
            positional = a.posonlyargs + a.args
            has_default = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
            params = [P(arg.arg, P.POSITIONAL_ONLY if arg in a.posonlyargs else P.POSITIONAL_OR_KEYWORD,
                        default=None if d else P.empty) for arg, d in zip(positional, has_default)]
            params += [P(a.vararg.arg, P.VAR_POSITIONAL)] if a.vararg else []
            params += [P(arg.arg, P.KEYWORD_ONLY, default=P.empty if d is None else None)
                       for arg, d in zip(a.kwonlyargs, a.kw_defaults)]
            params += [P(a.kwarg.arg, P.VAR_KEYWORD)] if a.kwarg else []
            return inspect.Signature(params)
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return _source_signature(node.module, alias.name)
    raise AssertionError(f"{module} defines no {name}")


def stand_in(monkeypatch, module: str, **names):
    """sys.modules[module] replaced by a module holding `names`; each Call gets the real signature."""
    fake = types.ModuleType(module)
    for name, value in names.items():
        if isinstance(value, Call):
            value.signature = _source_signature(module, name)
        setattr(fake, name, value)
    monkeypatch.setitem(sys.modules, module, fake)
    return fake


def patch(monkeypatch, target: str, returns=None) -> Call:
    """A light module's function replaced by a recording Call (the module itself is imported)."""
    module, name = target.rsplit(".", 1)
    call = Call(returns, inspect.signature(getattr(importlib.import_module(module), name)))
    monkeypatch.setattr(target, call)
    return call


@contextlib.contextmanager
def _yields(value):
    yield value


# -- the data commands ------------------------------------------------------------------------


def test_demo_photos_defaults(monkeypatch, tmp_path):
    write = patch(monkeypatch, "colordisc_tf.data.demo_photos.write_demo_photos", [])
    assert main(["demo-photos", "--output", str(tmp_path)]) == 0
    assert write.only == ((str(tmp_path),), {"tile": None, "max_side": 320})


def test_preprocess_defaults(monkeypatch, tmp_path):
    from colordisc_tf.config import PreprocessConfig
    from colordisc_tf.infra.beam_options import default_beam_args

    summary = {"inputs": 1, "written": {"train": 1, "eval": 0}, "rejected": {}, "seconds": 0.0}
    run = Call(summary)
    stand_in(monkeypatch, "colordisc_tf.data.preprocess", expand_inputs=Call(["a.png"]), run_preprocess=run)
    assert main(["preprocess", "photos", "--output", str(tmp_path)]) == 0
    (inputs, output, config, beam_args), kwargs = run.only
    assert (inputs, output, kwargs) == (["photos"], str(tmp_path), {"overwrite": False})
    assert config == PreprocessConfig(size=256, eval_percent=10, min_side=None, max_pixels=MAX_PIXELS)
    assert beam_args == default_beam_args()


def test_prior_reads_the_train_split_by_default(monkeypatch, tmp_path):
    from colordisc_tf.data.record_format import split_file_pattern

    summary = {"pixels": 1, "bins_seen": 1, "weight_min": 1.0, "weight_max": 1.0}
    run = Call(types.SimpleNamespace(summary=lambda: summary))
    stand_in(monkeypatch, "colordisc_tf.data.prior", run_prior=run)
    assert main(["prior", "examples", "--output", str(tmp_path)]) == 0
    assert run.only == ((split_file_pattern("examples", "train"), str(tmp_path)),
                        {"lam": 0.5, "sigma": 5.0, "beam_args": []})
    assert "Split-train" in run.only[0][0]


def test_starter_photos_defaults(monkeypatch, tmp_path):
    counts = dict.fromkeys(("photos", "groups", "train_tiles", "train_photos", "holdout_photos", "excluded_files"), 0)
    write = patch(monkeypatch, "colordisc_tf.data.starter_photos.write_starter_set", {"counts": counts})
    assert main(["starter-photos", "--sources", "debs", "--output", str(tmp_path / "new")]) == 0
    assert write.only == (("debs", str(tmp_path / "new")), {"tile": 160, "gcompris": False, "app_photos": False})
    assert main(["starter-photos", "--sources", "debs", "--output", str(tmp_path / "new2"), "--gcompris",
                 "--app-photos"]) == 0
    assert write.calls[-1][1]["gcompris"] is True and write.calls[-1][1]["app_photos"] is True


def test_ship_starter_defaults(monkeypatch):
    ship = patch(monkeypatch, "colordisc_tf.evaluate.starter_card.ship_starter", {"sets": {}})
    assert main(["ship-starter", "--pipeline-root", "root", "--photos", "photos", "--output", "out"]) == 0
    assert ship.only == (("root", "photos", "out", {}), {"sheet": None, "training_seconds": None, "remeasure": False})


def test_beam_cluster_defaults(monkeypatch):
    import time

    cluster = patch(monkeypatch, "colordisc_tf.infra.beam_cluster.local_beam_cluster", lambda *a, **k: _yields([]))
    monkeypatch.setattr(time, "sleep", Call(KeyboardInterrupt()))  # Ctrl-C at once
    assert main(["beam-cluster"]) == 0
    assert cluster.only == ((8099, 50000, None), {"bind": "localhost"})


# -- the pipeline commands --------------------------------------------------------------------


@pytest.fixture
def pipeline_stand_ins(monkeypatch):
    """The TFX side of run / demo / compile, stood in for (TFX takes most of a minute to import here)."""
    config = types.SimpleNamespace(name="colordisc", pipeline_root="/root")
    calls = types.SimpleNamespace(resolved_config=Call(config), smoke_steps=Call(config), run_locally=Call(),
                                  create_pipeline=Call(types.SimpleNamespace(components=[])), report_run=Call([]),
                                  compile_kubeflow_v2=Call({"pipelineSpec": {"root": {"dag": {"tasks": {}}}}}),
                                  config=config)
    stand_in(monkeypatch, "pipelines.local_runner", resolved_config=calls.resolved_config,
             smoke_steps=calls.smoke_steps, run_locally=calls.run_locally)
    stand_in(monkeypatch, "pipelines.colordisc_pipeline", create_pipeline=calls.create_pipeline)
    stand_in(monkeypatch, "pipelines.progress",
             component_progress=lambda pipeline: _yields(types.SimpleNamespace(ran=[], from_cache=[])))
    stand_in(monkeypatch, "pipelines.run_summary", report_run=calls.report_run)
    stand_in(monkeypatch, "pipelines.kubeflow_v2_runner", compile_kubeflow_v2=calls.compile_kubeflow_v2)
    stand_in(monkeypatch, "kfp")
    stand_in(monkeypatch, "kfp.pipeline_spec")
    return calls


def test_run_defaults(pipeline_stand_ins):
    assert main(["run"]) == 0
    assert pipeline_stand_ins.resolved_config.only == ((None, {}), {})  # the config's data, root and Beam flags
    assert pipeline_stand_ins.smoke_steps.calls == []
    assert pipeline_stand_ins.report_run.only == ((pipeline_stand_ins.config,), {"demo": False})


def test_run_passes_unknown_flags_to_beam(pipeline_stand_ins):
    assert main(["run", "--runner=PortableRunner", "--job_endpoint=localhost:8099"]) == 0
    assert pipeline_stand_ins.resolved_config.only == (
        (None, {"beam_args": ["--runner=PortableRunner", "--job_endpoint=localhost:8099"]}), {})


def test_demo_defaults(pipeline_stand_ins):
    assert main(["demo"]) == 0
    assert pipeline_stand_ins.resolved_config.only == ((None, {}), {})
    assert pipeline_stand_ins.smoke_steps.calls == []
    assert pipeline_stand_ins.report_run.only == ((pipeline_stand_ins.config,), {"demo": True})


def test_compile_defaults(pipeline_stand_ins, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "--image", "img:1", "--pipeline-root", "gs://b/root"]) == 0
    assert pipeline_stand_ins.resolved_config.only == ((None, {"pipeline_root": "gs://b/root", "beam_args": []}), {})
    assert pipeline_stand_ins.smoke_steps.calls == []
    assert pipeline_stand_ins.compile_kubeflow_v2.only == (
        (pipeline_stand_ins.config, "img:1", "colordisc_pipeline.json"), {})


# -- the serving-side commands ----------------------------------------------------------------


def test_colorize_defaults(monkeypatch, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"")
    load = patch(monkeypatch, "colordisc_tf.serve.model_ref.load_signature", lambda *a, **k: ("signature", a[1]))
    folder = patch(monkeypatch, "colordisc_tf.infra.output_folder.output_folder", lambda *a, **k: _yields(str(tmp_path)))
    colorize = patch(monkeypatch, "colordisc_tf.serve.colorize_files.colorize_into", ({}, []))
    assert main(["colorize", "--model", "m", str(photo), "--output", str(tmp_path / "out")]) == 1  # nothing written
    assert load.only == (("m", "serving_default", "colorized", "generator"), {})  # annealed; no discriminator
    assert folder.only == ((str(tmp_path / "out"), False), {})  # --overwrite off
    (_, paths, names, serve, score), _ = colorize.only
    assert (paths, serve, score) == ([str(photo)], ("signature", "serving_default"), None)


def test_realness_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.png").write_bytes(b"")
    load = patch(monkeypatch, "colordisc_tf.serve.model_ref.load_signature", "score")
    score = patch(monkeypatch, "colordisc_tf.serve.score_files.score_files", [{"path": "a.png", "realness": 0.5}])
    assert main(["realness", "--discriminator", "d", "a.png"]) == 0
    assert load.only == (("d", "serving_default", "realness", "discriminator", "--discriminator"), {})
    assert score.only == (("score", [str(tmp_path / "a.png")]), {})
    assert sorted(os.listdir(tmp_path)) == ["a.png"]  # no --output: no file


def test_colorize_video_defaults(monkeypatch, tmp_path):
    (tmp_path / "clip.mp4").write_bytes(b"")
    patch(monkeypatch, "colordisc_tf.serve.model_ref.resolve_model",
          lambda *a, **k: types.SimpleNamespace(keras=f"{a[0]}.keras", saved_model=None))
    stand_in(monkeypatch, "colordisc_tf.video.frame_colorizer", load_frame_colorizer=Call("colorizer"),
             load_frame_scorer=Call("scorer"))
    settings, videos = Call(lambda **k: k), Call(({}, []))
    stand_in(monkeypatch, "colordisc_tf.video.colorize_video", VideoSettings=settings, colorize_videos=videos,
             metrics_paths=Call())
    assert main(["colorize-video", str(tmp_path / "clip.mp4"), "--model", "g", "--output", str(tmp_path / "o")]) == 1
    assert settings.only[1] == {"temporal": "stable", "max_frames": None, "history_weight": 0.85,
                                "max_pixels": MAX_PIXELS}
    (paths, names, output, colorizer, _, scorer), kwargs = videos.only
    assert (paths, colorizer, scorer, kwargs) == ([str(tmp_path / "clip.mp4")], "colorizer", None, {"overwrite": False})


def test_export_defaults(monkeypatch):
    export, quantized = Call([]), Call([])
    stand_in(monkeypatch, "colordisc_tf.serve.portable_export", ExportRefused=type("ExportRefused", (Exception,), {}),
             export_portable=export, export_quantized=quantized)
    assert main(["export", "--format", "onnx", "--model", "m", "--output", "g.onnx"]) == 0
    assert export.only == (("m", "g.onnx", "onnx"), {"overwrite": False})
    assert quantized.calls == []  # float32 unless --quantize


def test_import_eccv16_defaults(monkeypatch, tmp_path):
    from colordisc_tf.config import GeneratorConfig

    model = types.SimpleNamespace(get_layer=lambda name: types.SimpleNamespace(filters=64), count_params=lambda: 1)
    stand_in(monkeypatch, "colordisc_tf.models.eccv16_import", import_eccv16=Call(model))
    save = Call("serving")
    stand_in(monkeypatch, "colordisc_tf.serve.saving", save_generator=save)
    out = str(tmp_path / "eccv16")
    assert main(["import-eccv16", "weights.pth", "--output", out]) == 0
    (saved, config, model_dir), _ = save.only
    assert (saved, model_dir) == (model, out)
    assert config == GeneratorConfig(width=1.0, steps=0, init=os.path.abspath(out), serving_size=256)


def test_evaluate_defaults(monkeypatch):
    evaluate = Call({"images": 0, "skipped": 0})
    stand_in(monkeypatch, "colordisc_tf.evaluate.standard", EvaluationError=type("EvaluationError", (Exception,), {}),
             evaluate_images=evaluate)
    assert main(["evaluate", "--model", "m", "--images", "val", "--output", "out"]) == 1  # nothing measured
    #          model, images, output, list, fid_weights, discriminator, prior, batch_size, overwrite, save_images
    assert evaluate.only == (("m", "val", "out", None, None, None, None, 8, False, False), {})


def test_serve_defaults(monkeypatch):
    from colordisc_tf.web.settings import PageSettings

    models = types.SimpleNamespace(colorizer_name="c")
    load = patch(monkeypatch, "colordisc_tf.web.models.load_page_models", models)
    serve = patch(monkeypatch, "colordisc_tf.web.server.serve_page")
    assert main(["serve"]) == 0
    assert load.only == ((None, None, None, None, "saved_models"), {})  # the pushed colorizer with realness
    (_, settings, host, port), _ = serve.only
    assert (host, port) == ("127.0.0.1", 8080)  # loopback only
    assert settings == PageSettings(max_bytes=50_000_000, max_pixels=MAX_PIXELS, max_waiting=32, max_frames=120)


# -- the parser against its own help ----------------------------------------------------------


def _subparsers(parser):
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sub.choices


def test_every_default_a_help_text_states_is_the_default():
    """'(default 256)' in a flag's help is what the flag defaults to (help and code written apart drift)."""
    checked = 0
    for command, parser in _subparsers(build_parser()).items():
        for action in parser._actions:
            stated = re.search(r"\(default ([^;:,)]+(?:,\d{3})*)", action.help or "")
            if not stated or action.default is None:
                continue
            text = stated.group(1).strip()
            value = float(text.replace(",", "")) if re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?", text) else text
            assert action.default == value, f"{command} {action.option_strings}: help says {text!r}, " \
                                            f"default {action.default!r}"
            checked += 1
    assert checked >= 10, checked


def test_every_command_is_exercised_here():
    """A new command gets its defaults test in this file (test_<command>_defaults or a named stand-in)."""
    names = {n for n in globals() if n.startswith("test_")}
    missing = [c for c in _subparsers(build_parser())
               if not any(n.startswith(f"test_{c.replace('-', '_')}_") for n in names)]
    assert not missing, f"no defaults test for {missing}"


# -- real runs on tiny inputs -----------------------------------------------------------------


def test_prior_command_counts_the_train_split(tiny_data, tmp_path):
    """`colordisc prior EXAMPLES` with no --split gives the train split's prior (the one the
    library made for tiny_data), not the eval split's."""
    import numpy as np

    from colordisc_tf.data.color_prior import load_prior

    out = tmp_path / "prior"
    assert main(["prior", tiny_data["examples"], "--output", str(out),
                 "--direct_running_mode=in_memory", "--direct_num_workers=1"]) == 0
    counts = load_prior(str(out)).counts
    np.testing.assert_array_equal(counts, tiny_data["prior"].counts)


def test_demo_photos_command_writes_tiles_of_the_asked_size(tmp_path):
    from PIL import Image

    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "demo-photos", "--output", str(tmp_path / "p"),
                             "--tile", "32", "--max-side", "64"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "p").glob("*.png"))
    assert files and result.stdout.strip() == f"wrote {len(files)} demo photos to {tmp_path / 'p'}"
    assert {Image.open(f).size for f in files} == {(32, 32)}


def test_colorize_imports_neither_beam_nor_tfx(tiny_models, tmp_path):
    """`colordisc colorize` in a fresh process: a PNG written, and Apache Beam / TFX never loaded
    (listing the inputs needs neither; test_layout checks the same from the source)."""
    import numpy as np
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    code = ("import sys; from pipelines.cli import main; rc = main(sys.argv[1:]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'apache_beam', 'tfx', 'ml_metadata', 'kfp'})); "
            "sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, "colorize", "--model", str(tiny_models["generator"]),
                             str(tmp_path / "a.png"), "--output", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert Image.open(tmp_path / "out" / "a.png").size == (48, 40)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
