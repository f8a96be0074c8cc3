"""Compiles the colordisc pipeline into a Kubeflow Pipelines v2 / Vertex AI Pipelines job spec
(TFX's KubeflowV2DagRunner). Compiling is offline: nothing is listed, uploaded or started.

    colordisc compile --target kubeflow-v2 --image REGISTRY/colordisc:TAG \\
        --data gs://BUCKET/photos --pipeline-root gs://BUCKET/root --serving-root gs://BUCKET/serving \\
        --output colordisc.json [--runner=DataflowRunner --project=... (Beam flags)]

(`tfx pipeline compile --engine vertex` would also need google-cloud-aiplatform, which its Vertex
handler imports; it is not in the lock, and `colordisc compile` does not need it.)

Every step runs `python -m tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor` in
the image (the repository's Dockerfile builds one from the lock). Needs `kfp`
(requirements-kubeflow.txt; `make kubeflow`).
"""

from __future__ import annotations

import dataclasses
import datetime
import os

from colordisc_tf.config import ConfigError, PipelineConfig
from colordisc_tf.infra.uris import is_remote
from pipelines.colordisc_pipeline import create_pipeline

__all__ = ["compile_kubeflow_v2", "remote_config"]


def remote_config(config: PipelineConfig) -> PipelineConfig:
    """The config as the cluster sees it: data given explicitly (the demo photos are written on
    the machine that runs the pipeline, which here is not this one), no local report copy."""
    if not config.data:
        raise ConfigError("data: a Kubeflow/Vertex pipeline needs its photos where the cluster reads them "
                          "(--data gs://BUCKET/photos); the demo photos exist only on this machine")
    report_dir = config.report_dir if is_remote(config.report_dir) else ""
    return dataclasses.replace(config, report_dir=report_dir)


def compile_kubeflow_v2(config: PipelineConfig, image: str, output: str) -> dict:
    """Writes the PipelineJob JSON to `output` and returns it as a dict.

    LabExampleGen's cache key is the compile time, not a listing of the data (which this machine
    may not be able to read): each compile re-reads the photos once, later runs of the same spec
    take them from Vertex's cache."""
    from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner

    config = remote_config(config)
    compiled_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    pipeline = create_pipeline(config, input_fingerprint=f"compiled {compiled_at}", local_metadata=False)
    output = os.path.abspath(output)
    runner = kubeflow_v2_dag_runner.KubeflowV2DagRunner(
        config=kubeflow_v2_dag_runner.KubeflowV2DagRunnerConfig(default_image=image),
        output_dir=os.path.dirname(output),
        output_filename=os.path.basename(output),
    )
    return runner.run(pipeline, write_out=True)

