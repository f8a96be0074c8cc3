"""The colordisc TFX pipeline: a pure function of a PipelineConfig.

LabExampleGen -> ColorPriorGen -> GeneratorTrainer -> Colorize -> DiscriminatorTrainer
  -> RealnessEvaluator -> FailureFilter -> FineTuneTrainer -> BeforeAfterEvaluator
  -> RealnessColorizer (the blessed fine-tuned generator, else the base one, with the discriminator)
  -> Pushers (generator, discriminator, the fine-tuned generator when blessed, and the
     colorizer with realness).
"""

from __future__ import annotations

import os

from colordisc_tf.infra.quiet import import_tfma_quietly

import_tfma_quietly()  # before tfx.components (Pusher) imports it and prints a stray stderr line

from components import (  # noqa: E402
    BeforeAfterEvaluator,
    ColorPriorGen,
    Colorize,
    DiscriminatorTrainer,
    FailureFilter,
    FineTuneTrainer,
    RealnessColorizer,
    GeneratorTrainer,
    LabExampleGen,
    RealnessEvaluator,
)
from tfx.components import Pusher
from tfx.orchestration import metadata, pipeline
from tfx.proto import pusher_pb2

from colordisc_tf.config import PipelineConfig, to_dict
from colordisc_tf.infra.uris import absolute

__all__ = ["create_pipeline", "data_inputs"]


def data_inputs(config: PipelineConfig) -> list[str]:
    """The configured image inputs, or the bundled demo photos (written once)."""
    if config.data:
        return list(config.data)
    from colordisc_tf.data.demo_photos import write_demo_photos

    folder = os.path.join(os.path.abspath(config.pipeline_root), "demo_photos", f"tile{config.demo_tile}")
    if not os.path.isdir(folder) or not os.listdir(folder):
        write_demo_photos(folder, tile=config.demo_tile)
    return [folder]


def _pusher(trainer, config: PipelineConfig, role: str, blessing=None) -> Pusher:
    """TF Serving layout: <serving_root>/<name>_<role>/<version>/saved_model.pb."""
    destination = f"{absolute(config.serving_root).rstrip('/')}/{config.name}_{role}"
    return Pusher(
        model=trainer.outputs["model"],
        model_blessing=blessing,
        push_destination=pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=destination)
        ),
    ).with_id("Push" + "".join(part.title() for part in role.split("_")))


def model_fingerprint(init: str | None) -> str | None:
    """sha256 of the files of a local init model (its directory or .keras file); None for none or a
    remote one (the cluster's to read)."""
    import hashlib

    from colordisc_tf.infra.uris import is_remote
    from colordisc_tf.models.starter import resolve_init

    path = resolve_init(init)
    if not path or is_remote(path):
        return None
    files = [path] if os.path.isfile(path) else sorted(
        os.path.join(path, name) for name in ("generator.keras", "config.json") if os.path.exists(os.path.join(path, name)))
    digest = hashlib.sha256()
    for name in files:
        with open(name, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def create_pipeline(config: PipelineConfig, input_fingerprint: str | None = None,
                    local_metadata: bool = True) -> pipeline.Pipeline:
    """input_fingerprint: LabExampleGen's cache key; None lists the inputs (which a compile for a
    remote orchestrator cannot do: its data may be on storage only the cluster reads).
    local_metadata: an ML Metadata sqlite file (LocalDagRunner); Kubeflow/Vertex bring their own."""
    root = absolute(config.pipeline_root)
    examples_gen = LabExampleGen(input_base=data_inputs(config), config=config.preprocess,
                                 min_photos={"train": config.min_train_photos, "eval": config.min_eval_photos},
                                 input_fingerprint=input_fingerprint)
    examples = examples_gen.outputs["examples"]
    prior = ColorPriorGen(examples=examples, lam=config.prior.lam, sigma=config.prior.sigma)
    color_prior = prior.outputs["color_prior"]
    generator = GeneratorTrainer(examples=examples, color_prior=color_prior, custom_config=to_dict(config.generator),
                                 init_fingerprint=model_fingerprint(config.generator.init))
    colorize = Colorize(examples=examples, model=generator.outputs["model"], batch_size=config.colorize_batch_size)
    colorized = colorize.outputs["colorized"]
    discriminator = DiscriminatorTrainer(examples=examples, colorized=colorized,
                                         custom_config=to_dict(config.discriminator))
    evaluator = RealnessEvaluator(examples=examples, colorized=colorized, discriminator=discriminator.outputs["model"],
                                  worst=config.worst_cases)
    scores = evaluator.outputs["scores"]
    failures = FailureFilter(examples=examples, scores=scores, quantile=config.failure_quantile,
                             threshold=config.failure_threshold)
    players = {"generator": generator.outputs["model"], "discriminator": discriminator.outputs["model"]}
    finetune = FineTuneTrainer(failures=failures.outputs["failures"], ordinary=examples, color_prior=color_prior,
                               custom_config=to_dict(config.finetune), **players)
    finetuned = finetune.outputs["model"]
    before_after = BeforeAfterEvaluator(
        examples=examples, failures=failures.outputs["failures"], finetuned=finetuned, color_prior=color_prior,
        scores=scores, blessing=config.blessing, worst=config.worst_cases,
        report_copy_dir=absolute(config.report_dir) if config.report_dir else "",
        fid_weights=absolute(config.fid_weights) if config.fid_weights else "", **players)
    blessing = before_after.outputs["blessing"]
    with_realness = RealnessColorizer(finetuned=finetuned, blessing=blessing, **players)
    components = [examples_gen, prior, generator, colorize, discriminator, evaluator, failures, finetune,
                  before_after, with_realness]
    if config.push:
        components += [
            _pusher(generator, config, "generator"),
            _pusher(discriminator, config, "discriminator"),
            _pusher(finetune, config, "generator_finetuned", blessing),
            _pusher(with_realness, config, "colorizer_with_realness"),
        ]
    return pipeline.Pipeline(
        pipeline_name=config.name,
        pipeline_root=root,
        components=components,
        enable_cache=config.enable_cache,
        metadata_connection_config=metadata.sqlite_metadata_connection_config(
            config.metadata_path or os.path.join(root, "metadata.sqlite")
        ) if local_metadata else None,
        beam_pipeline_args=list(config.beam_args),
    )
