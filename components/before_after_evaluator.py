"""BeforeAfterEvaluator: base vs fine-tuned generator; a blessing and the HTML report."""

import json
import os

from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, channel_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from colordisc_tf.evaluate.before_after import compare_generators
from colordisc_tf.config import BlessingConfig, from_dict, to_dict
from colordisc_tf.data.color_prior import load_prior
from colordisc_tf.evaluate.report import write_html_report
from colordisc_tf.serve.saving import load_discriminator, load_generator
from components.artifact_types import ColorizationReport, ColorPrior, RealnessScores

__all__ = ["BeforeAfterEvaluator"]


class BeforeAfterEvaluatorSpec(ComponentSpec):
    PARAMETERS = {
        "blessing_config": ExecutionParameter(type=str),  # JSON of BlessingConfig
        "worst": ExecutionParameter(type=int),
        "report_copy_dir": ExecutionParameter(type=str),  # e.g. <repo>/reports/latest ("" for none)
        "fid_weights": ExecutionParameter(type=str, optional=True),  # pytorch-fid's Inception .pth ("" for no FID)
    }
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "failures": ChannelParameter(type=standard_artifacts.Examples),
        "generator": ChannelParameter(type=standard_artifacts.Model),
        "finetuned": ChannelParameter(type=standard_artifacts.Model),
        "discriminator": ChannelParameter(type=standard_artifacts.Model),
        "color_prior": ChannelParameter(type=ColorPrior),
        "scores": ChannelParameter(type=RealnessScores),
    }
    OUTPUTS = {
        "blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        "report": ChannelParameter(type=ColorizationReport),
    }


class Executor(base_executor.BaseExecutor):
    # TFX calls this.
    def Do(self, input_dict, output_dict, exec_properties):
        uri = {key: artifact_utils.get_single_uri(value) for key, value in input_dict.items()}
        blessing_out = artifact_utils.get_single_instance(output_dict["blessing"])
        report_out = artifact_utils.get_single_instance(output_dict["report"])
        prior = load_prior(uri["color_prior"])
        report, images = compare_generators(
            load_generator(uri["generator"]), load_generator(uri["finetuned"]), load_discriminator(uri["discriminator"]),
            uri["examples"], uri["failures"], prior.prior,
            from_dict(BlessingConfig, json.loads(exec_properties["blessing_config"])),
            fid_weights=exec_properties.get("fid_weights") or None,
        )
        with open(os.path.join(report_out.uri, "before_after.json"), "w") as f:
            json.dump(report, f, indent=2)
        index = write_html_report(
            report, images, uri["failures"], report_out.uri,
            {"realness histogram": os.path.join(uri["scores"], "report", "histogram.png"),
             "colour prior": os.path.join(uri["color_prior"], "prior.png")},
            worst=exec_properties["worst"], copy_to=exec_properties["report_copy_dir"] or None,
        )
        report_out.set_string_custom_property("index", index)
        blessed = int(report["blessed"])
        blessing_out.set_int_custom_property("blessed", blessed)
        blessing_out.set_string_custom_property("outcome", report["outcome"])
        blessing_out.set_string_custom_property("verdict", report["verdict"])
        blessing_out.set_string_custom_property("current_model", uri["finetuned"])
        with open(os.path.join(blessing_out.uri, "BLESSED" if blessed else "NOT_BLESSED"), "w") as f:
            f.write("\n".join([report["verdict"], "", *report["reasons"]]) + "\n")


class BeforeAfterEvaluator(base_component.BaseComponent):
    """Outputs `blessing` (ModelBlessing: blessed 1/0, outcome and verdict, BLESSED or
    NOT_BLESSED with the verdict and every check; colordisc_tf.evaluate.blessing) and `report`
    (index.html, before_after.json, PNGs), copied to report_copy_dir when given. Only
    "blessed" is 1: "NOT blessed" and "not enough evidence" are both 0. With fid_weights (pytorch-fid's Inception .pth), the report
    has each generator's FID on the eval split.

    It trains discriminators of its own: `blessing.retrain_discriminator_seeds` fresh discriminators per
    generator (base and fine-tuned), `retrain_discriminator_steps` steps each, on real photos vs
    that generator's colorizations. They are part of the measurement, not models of the
    pipeline: nothing downstream uses them, they are rebuilt from the same seeds whenever
    the evaluation reruns, and ML Metadata caches the evaluation as a whole (same inputs
    and blessing config: no retraining). So they live in a temporary folder and are not
    artifacts; their per-seed detection AUCs are in before_after.json."""

    SPEC_CLASS = BeforeAfterEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

    def __init__(self, examples, failures, generator, finetuned, discriminator, color_prior, scores,
                 blessing: BlessingConfig = BlessingConfig(), worst: int = 8, report_copy_dir: str = "",
                 fid_weights: str = ""):
        super().__init__(
            spec=BeforeAfterEvaluatorSpec(
                examples=examples, failures=failures, generator=generator, finetuned=finetuned,
                discriminator=discriminator, color_prior=color_prior, scores=scores,
                blessing_config=json.dumps(to_dict(blessing), sort_keys=True), worst=worst,
                report_copy_dir=report_copy_dir, fid_weights=fid_weights,
                blessing=channel_utils.as_channel([standard_artifacts.ModelBlessing()]),
                report=channel_utils.as_channel([ColorizationReport()]),
            )
        )
