"""LabExampleGen + ColorPriorGen in a LocalDagRunner pipeline; the second run is cached."""

import json
import os

import numpy as np
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata, pipeline
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from colordisc_tf.config import PreprocessConfig
from colordisc_tf.data.demo_photos import write_demo_photos
from colordisc_tf.data.color_prior import load_prior
from components import ColorPrior, ColorPriorGen, LabExampleGen

BEAM_ARGS = ["--direct_running_mode=in_memory", "--direct_num_workers=1", "--job_name=colordisc-component-test"]


def _pipeline(photos, root):
    gen = LabExampleGen(input_base=str(photos), config=PreprocessConfig(size=32, eval_percent=25))
    prior = ColorPriorGen(examples=gen.outputs["examples"])
    return pipeline.Pipeline(
        pipeline_name="colordisc-test",
        pipeline_root=str(root / "pipeline_root"),
        components=[gen, prior],
        enable_cache=True,
        metadata_connection_config=metadata.sqlite_metadata_connection_config(str(root / "mlmd.sqlite")),
        beam_pipeline_args=BEAM_ARGS,
    )


def _executions(root):
    config = metadata.sqlite_metadata_connection_config(str(root / "mlmd.sqlite"))
    return metadata_store.MetadataStore(config).get_executions()


def _latest_uri(root, type_name):
    config = metadata.sqlite_metadata_connection_config(str(root / "mlmd.sqlite"))
    artifacts = metadata_store.MetadataStore(config).get_artifacts_by_type(type_name)
    return max(artifacts, key=lambda a: a.id).uri


def test_components_run_and_second_run_is_cached(tmp_path):
    photos = tmp_path / "photos"
    write_demo_photos(photos, tile=32, max_side=96, names=["astronaut", "coffee", "chelsea"])
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    LocalDagRunner().run(_pipeline(photos, tmp_path))

    first = _executions(tmp_path)
    assert [e.last_known_state for e in first] == [metadata_store_pb2.Execution.COMPLETE] * 2
    examples_uri = _latest_uri(tmp_path, "Examples")
    with open(os.path.join(examples_uri, "summary.json")) as f:
        summary = json.load(f)
    n_inputs = len(list(photos.iterdir()))
    assert summary["inputs"] == n_inputs
    assert summary["rejected"]["not_an_image"] + summary["rejected"]["corrupt"] == 1
    assert summary["written_total"] + summary["rejected_total"] == n_inputs
    # The pipeline's beam_pipeline_args reached the Beam pipeline.
    assert summary["beam_options"]["job_name"] == "colordisc-component-test"
    assert sorted(os.listdir(examples_uri)) == [".colordisc-output", "Split-eval", "Split-train", "rejects.jsonl",
                                                "summary.json"]

    prior = load_prior(_latest_uri(tmp_path, ColorPrior.TYPE_NAME))
    assert prior.counts.sum() == summary["written"]["train"] * 32 * 32
    assert abs(float(np.sum(prior.prior * prior.weights)) - 1) < 1e-5

    LocalDagRunner().run(_pipeline(photos, tmp_path))
    second = _executions(tmp_path)[len(first):]
    assert [e.last_known_state for e in second] == [metadata_store_pb2.Execution.CACHED] * 2

    # New data changes the fingerprint: LabExampleGen runs again.
    write_demo_photos(photos, tile=32, max_side=96, names=["rocket"])
    LocalDagRunner().run(_pipeline(photos, tmp_path))
    third = _executions(tmp_path)[len(first) + len(second):]
    assert metadata_store_pb2.Execution.COMPLETE in [e.last_known_state for e in third]
