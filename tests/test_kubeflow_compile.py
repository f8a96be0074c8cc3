"""`colordisc compile --target kubeflow-v2`: the Kubeflow Pipelines v2 / Vertex spec, compiled offline,
holds every component and every edge of the pipeline LocalDagRunner runs."""

import json

import pytest

from pipelines.cli import main
from colordisc_tf.config import to_dict
from pipelines.colordisc_pipeline import create_pipeline
from pipelines.local_runner import resolved_config

pytest.importorskip("kfp.pipeline_spec", reason="the kubeflow extra (make kubeflow; make test installs it)")

IMAGE = "registry.example/colordisc:test"
BEAM = ["--runner=DataflowRunner", "--project=colordisc-test", "--temp_location=gs://colordisc-test/tmp"]


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    out = tmp_path_factory.mktemp("spec") / "colordisc.json"
    # gs:// is not reachable from here: a compile that listed or wrote the data would fail or hang
    assert main(["compile", "--target", "kubeflow-v2", "--image", IMAGE, "--pipeline-root", "gs://colordisc-test/root",
                 "--data", "gs://colordisc-test/photos", "--serving-root", "gs://colordisc-test/serving",
                 "--processes", "2", "--output", str(out), *BEAM]) == 0
    return json.loads(out.read_text())


def _local_pipeline(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"not read: the pipeline is only built")
    return create_pipeline(resolved_config(None, {"pipeline_root": str(tmp_path / "root"), "data": [str(photos)]}))


def test_the_spec_has_every_component_and_edge_of_the_local_pipeline(spec, tmp_path):
    local = _local_pipeline(tmp_path)
    tasks = spec["pipelineSpec"]["root"]["dag"]["tasks"]
    assert sorted(tasks) == sorted(c.id for c in local.components)
    for component in local.components:
        upstream = sorted(n.id for n in component.upstream_nodes)
        assert sorted(tasks[component.id].get("dependentTasks", [])) == upstream, component.id
        inputs = tasks[component.id].get("inputs", {}).get("artifacts", {})
        for key, channel in component.inputs.items():
            assert inputs[key]["taskOutputArtifact"] == {"producerTask": channel.producer_component_id,
                                                         "outputArtifactKey": channel.output_key}, (component.id, key)


def test_every_step_runs_the_image_with_the_beam_flags(spec):
    executors = spec["pipelineSpec"]["deploymentSpec"]["executors"]
    assert len(executors) == len(spec["pipelineSpec"]["root"]["dag"]["tasks"])
    for name, executor in executors.items():
        container = executor["container"]
        assert container["image"] == IMAGE, name
        assert container["command"][-1] == "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor"
        assert container["args"][-len(BEAM):] == BEAM, name
    assert spec["runtimeConfig"]["gcsOutputDirectory"] == "gs://colordisc-test/root"


def _parameter(spec, task, name):
    value = spec["pipelineSpec"]["root"]["dag"]["tasks"][task]["inputs"]["parameters"][name]
    return value["runtimeValue"]["constantValue"]["stringValue"]


def test_the_spec_carries_the_remote_data_outputs_and_the_training_distribution(spec):
    assert json.loads(_parameter(spec, "LabExampleGen", "input_base")) == ["gs://colordisc-test/photos"]
    assert _parameter(spec, "LabExampleGen", "input_fingerprint").startswith("compiled ")
    demo = resolved_config()
    for trainer, section in (("GeneratorTrainer", demo.generator), ("DiscriminatorTrainer", demo.discriminator),
                             ("FineTuneTrainer", demo.finetune)):
        config = json.loads(_parameter(spec, trainer, "custom_config"))
        assert config == dict(to_dict(section), processes=2), trainer  # the rest of the section as configured
    assert "gs://colordisc-test/serving/colordisc_generator" in _parameter(spec, "PushGenerator", "push_destination")
    assert _parameter(spec, "BeforeAfterEvaluator", "report_copy_dir") == ""  # a local copy means nothing there
    types = json.dumps(spec["pipelineSpec"]["components"])
    for name in ("ColorPrior", "RealnessScores", "ColorizationReport"):
        assert f"title: components.{name}" in types


def test_compile_without_cluster_data_is_a_one_line_error(tmp_path, capsys):
    code = main(["compile", "--image", IMAGE, "--pipeline-root", "gs://colordisc-test/root",
                 "--output", str(tmp_path / "x.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--data gs://" in err[0]
    assert not (tmp_path / "x.json").exists()


def _run_step(spec, task, root, upstream_outputs):
    """One step as Kubeflow runs it: the spec's container command, with `{{$}}` replaced by the
    ExecutorInput the backend would send (its constant parameters, its upstream's output artifacts)."""
    import subprocess
    import sys

    pipeline = spec["pipelineSpec"]
    node = pipeline["root"]["dag"]["tasks"][task]
    component = pipeline["components"][node["componentRef"]["name"]]
    container = pipeline["deploymentSpec"]["executors"][component["executorLabel"]]["container"]
    step_dir = root / task
    # pipeline spec schema 2.0 (TFX's default): parameters as Kubeflow Values
    inputs = {"parameters": {k: v["runtimeValue"]["constantValue"]
                             for k, v in node["inputs"].get("parameters", {}).items()},
              "artifacts": {k: {"artifacts": [upstream_outputs[(v["taskOutputArtifact"]["producerTask"],
                                                                v["taskOutputArtifact"]["outputArtifactKey"])]]}
                            for k, v in node["inputs"].get("artifacts", {}).items()}}
    outputs = {"artifacts": {k: {"artifacts": [{"name": f"{task}-{k}", "uri": str(step_dir / k),
                                                "type": {"instanceSchema": v["artifactType"]["instanceSchema"]}}]}
                             for k, v in component["outputDefinitions"]["artifacts"].items()},
               "outputFile": str(step_dir / "executor_output.json")}
    invocation = json.dumps({"inputs": inputs, "outputs": outputs})
    args = [invocation if a == "{{$}}" else a for a in container["args"]]
    command = [sys.executable if c == "python" else c for c in container["command"]]
    done = subprocess.run(command + args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    written = json.loads((step_dir / "executor_output.json").read_text())["artifacts"]
    for key, produced in written.items():
        artifact = produced["artifacts"][0]
        artifact["type"] = outputs["artifacts"][key]["artifacts"][0]["type"]
        upstream_outputs[(task, key)] = artifact
    return written


@pytest.mark.slow
def test_the_first_steps_run_in_kubeflows_container_entrypoint(tmp_path):
    """LabExampleGen and ColorPriorGen through TFX's KFP v2 entrypoint, chained as the backend chains
    them: the spec's commands, parameters and artifact types work, custom types included."""
    from colordisc_tf.data.demo_photos import write_demo_photos
    from colordisc_tf.data.color_prior import load_prior

    write_demo_photos(tmp_path / "photos", tile=64, names=("astronaut", "coffee"))
    out = tmp_path / "spec.json"
    assert main(["compile", "--image", IMAGE, "--pipeline-root", str(tmp_path / "root"),
                 "--data", str(tmp_path / "photos"), "--output", str(out)]) == 0
    spec = json.loads(out.read_text())
    produced = {}
    examples = _run_step(spec, "LabExampleGen", tmp_path / "root", produced)["examples"]["artifacts"][0]
    counts = {k: int(v) for k, v in examples["metadata"].items() if k.startswith("written_")}
    assert counts["written_train"] > 0 and counts["written_eval"] > 0
    assert {p.name for p in (tmp_path / "root" / "LabExampleGen" / "examples").iterdir()} >= {"Split-eval",
                                                                                                "Split-train"}
    _run_step(spec, "ColorPriorGen", tmp_path / "root", produced)
    prior = load_prior(str(tmp_path / "root" / "ColorPriorGen" / "color_prior"))
    assert abs(prior.prior.sum() - 1) < 1e-6


def test_compile_without_kfp_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "kfp.pipeline_spec", None)  # an import of it now fails
    code = main(["compile", "--image", IMAGE, "--pipeline-root", "gs://colordisc-test/root",
                 "--data", "gs://colordisc-test/photos", "--output", str(tmp_path / "x.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "make kubeflow" in err[0]
