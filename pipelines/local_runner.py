"""Runs the colordisc pipeline with TFX's LocalDagRunner.

    tfx pipeline create --engine local --pipeline_path pipelines/local_runner.py
    tfx run create --engine local --pipeline_name colordisc

Config: $COLORDISC_CONFIG (a JSON file; default pipelines/configs/demo.json).
Relative paths in it are taken from the repository root.
"""

import dataclasses
import os

from pipelines.colordisc_pipeline import create_pipeline
from pipelines.stale_executions import pipeline_root_lock, recover
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from colordisc_tf.config import PipelineConfig, load_config
from colordisc_tf.infra.uris import absolute

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resolved_config(path=None, overrides=None):
    path = path or os.environ.get("COLORDISC_CONFIG") or os.path.join(REPO, "pipelines", "configs", "demo.json")
    config = load_config(path, overrides)
    paths = {
        "pipeline_root": absolute(config.pipeline_root, REPO),
        "serving_root": absolute(config.serving_root, REPO),
        "report_dir": absolute(config.report_dir, REPO) if config.report_dir else "",
        "data": [absolute(d, REPO) for d in config.data],
    }
    return load_config(path, {**(overrides or {}), **paths})


# Steps (and steps per epoch) of each trainer under `--smoke`: enough to run every code path.
SMOKE_STEPS = {"generator": (20, 10), "discriminator": (20, 10), "finetune": (10, 5)}


def smoke_steps(config: PipelineConfig) -> PipelineConfig:
    """The same pipeline with every trainer cut to a few steps and one retrained discriminator."""
    # A generator that starts from a trained one and takes no steps (the demo, from the starter) keeps 0.
    sections = {section: dataclasses.replace(getattr(config, section), steps=steps, steps_per_epoch=per_epoch)
                for section, (steps, per_epoch) in SMOKE_STEPS.items()
                if not (section == "generator" and config.generator.init and config.generator.steps == 0)}
    blessing = dataclasses.replace(config.blessing, retrain_discriminator_steps=10, retrain_discriminator_seeds=1)
    return dataclasses.replace(config, blessing=blessing, **sections)


def run_locally(pipeline, log=print) -> None:
    """LocalDagRunner, one run per pipeline root at a time; what a killed earlier run left
    (RUNNING executions, half-written folders) is cleaned up first (stale_executions)."""
    root = pipeline.pipeline_info.pipeline_root
    with pipeline_root_lock(root):
        recovered = recover(pipeline.metadata_connection_config, pipeline.pipeline_info.pipeline_name, root)
        if recovered.executions:
            log(f"run: an earlier run was killed: marked {', '.join(recovered.executions)} FAILED in ML Metadata, "
                f"removed {len(recovered.removed)} half-written folders")
        LocalDagRunner().run(pipeline)


# The tfx CLI runs this file.
if __name__ == "__main__":
    run_locally(create_pipeline(resolved_config()))
