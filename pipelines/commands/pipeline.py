"""The TFX pipeline's commands: run and demo (LocalDagRunner), compile (a Kubeflow v2 / Vertex AI spec)."""

from __future__ import annotations

from pipelines.commands.common import UserError

__all__ = ["register"]


def register(sub) -> None:
    run_ = sub.add_parser("run", help="run the whole TFX pipeline locally (as `tfx run create --engine local`)",
                          description="Unrecognised --flags are passed to Apache Beam.")
    run_.add_argument("--config", default=None, help="pipeline config JSON (default pipelines/configs/demo.json)")
    run_.add_argument("--data", nargs="+", default=None, help="image folders/files (default: the config's, or the demo photos)")
    run_.add_argument("--pipeline-root", default=None, help="where artifacts and the MLMD sqlite go")
    run_.add_argument("--smoke", action="store_true", help="cut every trainer to a few steps (checks the wiring)")
    run_.set_defaults(func=run, takes_beam_args=True)

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
    comp.set_defaults(func=compile_, takes_beam_args=True)

    run_demo = sub.add_parser("demo", help="run the whole pipeline on the bundled demo photos (what `make demo` runs)")
    run_demo.add_argument("--config", default=None, help="pipeline config (default pipelines/configs/demo.json)")
    run_demo.add_argument("--pipeline-root", default=None)
    run_demo.add_argument("--smoke", action="store_true",
                          help="cut every trainer to a few steps: the same pipeline in a few minutes (CI runs it)")
    run_demo.set_defaults(func=demo, takes_beam_args=True, data=None)


def demo(args) -> int:
    """The main job on the bundled photos: the TFX pipeline with the demo config."""
    return run(args, demo=True)


def run(args, demo: bool = False) -> int:
    """The whole TFX pipeline with LocalDagRunner (what `tfx run create` runs)."""
    import time

    from colordisc_tf.infra.uris import absolute
    from pipelines.colordisc_pipeline import create_pipeline
    from pipelines.local_runner import resolved_config, run_locally, smoke_steps
    from pipelines.progress import component_progress
    from pipelines.run_summary import report_run

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


def compile_(args) -> int:
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
