"""What the last pipeline run produced, read from ML Metadata, told in a few lines.

The outputs are those of the newest `pipeline_run` context, so a run served from the
cache reports the cached artifacts it used, not whatever folder has the highest number.
"""

from __future__ import annotations

import json
import os
import shutil

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata

from colordisc_tf.config import PipelineConfig

__all__ = ["latest_run_outputs", "report_run"]

EXPECTATIONS = ("the starter colorizer learned from about 230 photos on a CPU: on photos it never saw it is at "
                "grey's raw AuC (within the noise) and well above grey's rebalanced AuC, about as colourful as they are "
                "(colordisc_tf/models/starter/MODEL_CARD.md), not a real colorizer. For a real one, import the released ECCV16 weights or train "
                "pipelines/configs/full.json on your photos on a GPU (README: \"Getting a real colorizer\").")


def started_from(config: PipelineConfig) -> str:
    """Which colorizer the run's generator is: trained from scratch, or an init and how many steps on it."""
    from colordisc_tf.models.starter import STARTER, STARTER_DIR

    g = config.generator
    if not g.init:
        return f"trained from scratch here ({g.steps} steps, width {g.width})"
    name = (f"the starter colorizer ({os.path.relpath(STARTER_DIR)}, MODEL_CARD.md there)" if g.init == STARTER
            else g.init)
    return f"{name}, {'used as is' if g.steps == 0 else f'+ {g.steps} steps here'}"


def latest_run_outputs(metadata_path: str) -> dict[str, dict[str, list]]:
    """{node id: {output key: [Artifact]}} of the newest pipeline run in the store."""
    store = metadata_store.MetadataStore(metadata.sqlite_metadata_connection_config(metadata_path))
    runs = store.get_contexts_by_type("pipeline_run")
    if not runs:
        return {}
    run = max(runs, key=lambda c: (c.create_time_since_epoch, c.id))
    executions = store.get_executions_by_context(run.id)
    node_of = {}
    for execution in executions:
        for context in store.get_contexts_by_execution(execution.id):
            if store.get_context_types_by_id([context.type_id])[0].name == "node":
                node_of[execution.id] = context.name.split(".", 1)[-1]
    outputs: dict[str, dict[str, list]] = {}
    events = store.get_events_by_execution_ids([e.id for e in executions])
    output_types = (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
    artifacts = {a.id: a for a in store.get_artifacts_by_id(list({e.artifact_id for e in events}))}
    for event in events:
        if event.type in output_types and event.execution_id in node_of:
            key = next((s.key for s in event.path.steps if s.HasField("key")), "")
            outputs.setdefault(node_of[event.execution_id], {}).setdefault(key, []).append(artifacts[event.artifact_id])
    return outputs


def _with_ci(metrics: dict, key: str, fmt: str) -> str:
    """"0.917 [0.83, 0.98]": the value and its 95 % interval, when there is one."""
    ci = metrics.get(f"{key}_ci")
    return format(metrics[key], fmt) + (f" [{format(ci[0], fmt)}, {format(ci[1], fmt)}]" if ci else "")


#: The differences the closing lines show, per set (the report has every one).
_HEADLINE = {
    "eval_failures": ("detection_auc_retrained", "detection_auc_fixed", "fool_rate_fixed", "mean_realness_fixed"),
    "eval_all": ("auc_raw", "auc_rebalanced", "delta_cf", "colorfulness", "psnr", "detection_auc_retrained", "fid"),
}
_SHORT = {"detection_auc_retrained": "detection AUC (fresh discriminators)", "detection_auc_fixed": "detection AUC (fixed)",
          "fool_rate_fixed": "fool rate (fixed)", "mean_realness_fixed": "mean realness (fixed)", "auc_raw": "raw AuC",
          "auc_rebalanced": "rebalanced AuC", "delta_cf": "ΔCF", "colorfulness": "CF", "psnr": "PSNR", "fid": "FID"}


def _differences(difference: dict, set_name: str) -> str:
    """"raw AuC −1.44 [−2.90, +0.10]; ...": the headline differences of one set, fine-tuned − base."""
    from colordisc_tf.evaluate.report import format_difference

    return "; ".join(f"{_SHORT[key]} {format_difference(key, difference[key], difference.get(f'{key}_ci'))}"
                     for key in _HEADLINE[set_name] if key in difference)


def _before_after_lines(before_after: dict) -> list[str]:
    """fine-tuning (the failure cases), colour (the eval split), each with its paired differences; the verdict."""
    lines = []
    sets = before_after["sets"]
    failures, whole = sets.get("eval_failures", {}), sets.get("eval_all", {})
    base, finetuned = failures.get("base", {}), failures.get("finetuned", {})
    if "detection_auc_retrained" in base and "detection_auc_retrained" in finetuned:
        lines.append(f"fine-tuning:   on {base['images']} eval failure cases, fresh discriminators' detection AUC "
                     f"{_with_ci(base, 'detection_auc_retrained', '.3f')} (base) -> "
                     f"{_with_ci(finetuned, 'detection_auc_retrained', '.3f')} (fine-tuned); lower is harder to tell "
                     f"from real; [95 % intervals]")
    if failures.get("difference"):
        lines.append(f"Δ failures:    fine-tuned − base on the {base['images']} eval failure cases, paired 95 % "
                     f"intervals: {_differences(failures['difference'], 'eval_failures')}")
    base, finetuned = whole.get("base", {}), whole.get("finetuned", {})
    if "delta_cf" in base and "delta_cf" in finetuned:
        fid = (f"; FID {base['fid']:.2f} -> {finetuned['fid']:.2f}" if "fid" in base and "fid" in finetuned
               else "")
        lines.append(f"colour:        on {base['images']} eval photos, ΔCF = |mean CF - mean CF of the truth| "
                     f"{_with_ci(base, 'delta_cf', '.2f')} (base) -> {_with_ci(finetuned, 'delta_cf', '.2f')} "
                     f"(fine-tuned){fid}")
    if whole.get("difference"):
        lines.append(f"Δ eval split:  fine-tuned − base on the {base['images']} eval photos, paired 95 % intervals: "
                     f"{_differences(whole['difference'], 'eval_all')}")
    verdict = before_after.get("verdict") or (("blessed: " if before_after["blessed"] else "NOT blessed: ")
                                              + "; ".join(before_after["reasons"]))
    lines.append(f"blessing:      {verdict}")
    return lines


def _read_json(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _first(outputs: dict, node: str, key: str):
    found = outputs.get(node, {}).get(key) or [None]
    return found[0]


def report_run(config: PipelineConfig, demo: bool = False) -> list[str]:
    """Copies the newest run's report to config.report_dir (a run served from the cache
    does not re-run the evaluator that copies it, and report_dir must never show an
    earlier run's) and returns the few lines a user needs: report, discriminator, fine-tuning and
    colour (each generator's numbers, then fine-tuned − base with paired intervals), the
    blessing's verdict with its deciding intervals, pushed models."""
    root = os.path.abspath(config.pipeline_root)
    outputs = latest_run_outputs(config.metadata_path or os.path.join(root, "metadata.sqlite"))
    lines = [f"generator:     {started_from(config)}"]
    report = _first(outputs, "BeforeAfterEvaluator", "report")
    if report is not None and config.report_dir:
        shutil.rmtree(config.report_dir, ignore_errors=True)
        shutil.copytree(report.uri, config.report_dir)
        lines.append(f"report:        {os.path.relpath(os.path.join(config.report_dir, 'index.html'))}")
    elif report is not None:
        lines.append(f"report:        {os.path.join(report.uri, 'index.html')}")
    scores = _first(outputs, "RealnessEvaluator", "scores")
    discriminator = _read_json(os.path.join(scores.uri, "report", "metrics.json")) if scores else None
    if discriminator and discriminator.get("images"):
        lines.append(f"discriminator: on {discriminator['images']} held-out photos: error {_with_ci(discriminator, 'error', '.1%')}, "
                     f"ROC AUC {_with_ci(discriminator, 'roc_auc', '.3f')}, fool rate {_with_ci(discriminator, 'fool_rate', '.1%')}")
    before_after = _read_json(os.path.join(report.uri, "before_after.json")) if report else None
    if before_after:
        lines += _before_after_lines(before_after)
    pushed = []
    for node in sorted(outputs):
        artifact = _first(outputs, node, "pushed_model") if node.startswith("Push") else None
        if artifact is not None and artifact.custom_properties["pushed"].int_value:
            pushed.append(os.path.relpath(artifact.custom_properties["pushed_destination"].string_value))
    if config.push:
        lines.append(f"pushed:        {', '.join(pushed) if pushed else 'nothing'}")
    if demo:
        lines.append(f"note:          {EXPECTATIONS}")
    return lines
