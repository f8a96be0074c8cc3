"""Kill a trainer inside the pipeline, run again: the stale execution is marked FAILED, its
half-written folders go, upstream comes from the cache and the trainer resumes from its
backup to the configured step count."""

import json
import os
import sqlite3
import sys
import textwrap

import pytest
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata

from colordisc_tf.data.demo_photos import write_demo_photos
from killing import kill_when

STEPS, PER_EPOCH = 60, 10
BUILD = textwrap.dedent("""
    import sys
    from tfx.orchestration import metadata, pipeline
    from colordisc_tf.config import GeneratorConfig, PreprocessConfig, to_dict
    from components import ColorPriorGen, GeneratorTrainer, LabExampleGen

    def build(photos, root):
        gen = LabExampleGen(input_base=photos, config=PreprocessConfig(size=32, eval_percent=30))
        prior = ColorPriorGen(examples=gen.outputs["examples"])
        trainer = GeneratorTrainer(examples=gen.outputs["examples"], color_prior=prior.outputs["color_prior"],
                                   custom_config=to_dict(GeneratorConfig(
                                       width=0.0625, crop_size=32, batch_size=8, steps={steps},
                                       steps_per_epoch={per_epoch}, eval_batches=1, serving_size=32)))
        return pipeline.Pipeline(
            pipeline_name="colordisc-resume", pipeline_root=root + "/pipeline_root",
            components=[gen, prior, trainer], enable_cache=True,
            metadata_connection_config=metadata.sqlite_metadata_connection_config(root + "/mlmd.sqlite"),
            beam_pipeline_args=["--direct_running_mode=in_memory", "--direct_num_workers=1"])
""").format(steps=STEPS, per_epoch=PER_EPOCH)


def _executions(root):
    store = metadata_store.MetadataStore(metadata.sqlite_metadata_connection_config(str(root / "mlmd.sqlite")))
    return store, {e.id: e for e in store.get_executions()}


def _backup_epochs(trainer_dir):
    for folder, _, files in os.walk(trainer_dir / ".backup"):
        if "training_metadata.json" in files:
            with open(os.path.join(folder, "training_metadata.json")) as f:
                return json.load(f)["epoch"]  # epochs completed
    return 0


@pytest.mark.slow  # 65 s; resuming is covered by test_mechanics_training (generator) and the finetune tests
def test_a_trainer_killed_in_the_pipeline_resumes_on_the_next_run(tmp_path):
    from pipelines.local_runner import run_locally

    photos = tmp_path / "photos"
    write_demo_photos(photos, tile=32, max_side=96, names=["astronaut", "coffee", "chelsea", "rocket"])
    (tmp_path / "build.py").write_text(BUILD)
    trainer_dir = tmp_path / "pipeline_root" / "GeneratorTrainer"
    script = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); from build import build; "
              f"from pipelines.local_runner import run_locally; run_locally(build({str(photos)!r}, {str(tmp_path)!r}))")
    kill_when([sys.executable, "-c", script], lambda: _backup_epochs(trainer_dir) >= 2, 400, "the pipeline")
    killed_after = _backup_epochs(trainer_dir)  # what the backup held when the process died
    assert 2 <= killed_after < STEPS // PER_EPOCH

    store, before = _executions(tmp_path)
    (stale,) = [e for e in before.values() if e.last_known_state == metadata_store_pb2.Execution.RUNNING]
    assert stale.type.endswith("GeneratorTrainer")
    assert (trainer_dir / "model_run" / str(stale.id)).is_dir()  # half-written logs

    sys.path.insert(0, str(tmp_path))
    from build import build

    lines = []
    run_locally(build(str(photos), str(tmp_path)), log=lines.append)
    assert lines == [f"run: an earlier run was killed: marked GeneratorTrainer #{stale.id} FAILED in ML Metadata, "
                     f"removed {lines[0].split('removed ')[1].split()[0]} half-written folders"]

    store, after = _executions(tmp_path)
    assert after[stale.id].last_known_state == metadata_store_pb2.Execution.FAILED
    assert "killed" in after[stale.id].custom_properties["colordisc_stale_reason"].string_value
    assert not [p for p in trainer_dir.glob(f"*/{stale.id}*")]  # its folders are gone
    new = {e.type.rsplit(".", 1)[-1]: e.last_known_state for i, e in after.items() if i not in before}
    assert new == {"LabExampleGen": metadata_store_pb2.Execution.CACHED,
                   "ColorPriorGen": metadata_store_pb2.Execution.CACHED,
                   "GeneratorTrainer": metadata_store_pb2.Execution.COMPLETE}
    model = max(store.get_artifacts_by_type("Model"), key=lambda a: a.id)
    assert model.custom_properties["steps"].double_value == STEPS
    run_dir = max(store.get_artifacts_by_type("ModelRun"), key=lambda a: a.id).uri
    with open(os.path.join(run_dir, "history.json")) as f:
        history = json.load(f)
    assert len(history["loss"]) == STEPS // PER_EPOCH - killed_after  # only the epochs left
    assert os.path.exists(os.path.join(model.uri, "Format-Serving", "saved_model.pb"))
    with sqlite3.connect(tmp_path / "mlmd.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_second_run_on_the_same_root_is_refused_at_once(tmp_path):
    from pipelines.stale_executions import PipelineBusy, pipeline_root_lock

    with pipeline_root_lock(str(tmp_path)):
        with pytest.raises(PipelineBusy, match="another run is using pipeline root"):
            with pipeline_root_lock(str(tmp_path)):
                pass
    with pipeline_root_lock(str(tmp_path)):  # free again once the first run ends
        pass
