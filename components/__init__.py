"""TFX components: thin adapters that read artifacts, call colordisc_tf, write artifacts."""

# First, so tensorflow-io's plugin warnings are silenced before TFX's imports load it.
import colordisc_tf.color  # noqa: F401, I001

from components.artifact_types import ColorizationReport, ColorPriorArtifact, RealnessScores
from components.before_after_evaluator import BeforeAfterEvaluator
from components.color_prior import ColorPrior
from components.colorize import Colorize
from components.discriminator_trainer import DiscriminatorTrainer
from components.failure_filter import FailureFilter
from components.finetune_trainer import FineTuneTrainer
from components.generator_trainer import GeneratorTrainer
from components.lab_example_gen import LabExampleGen
from components.realness_evaluator import RealnessEvaluator

__all__ = [
    "ColorPriorArtifact",
    "ColorizationReport",
    "BeforeAfterEvaluator",
    "RealnessScores",
    "ColorPrior",
    "Colorize",
    "DiscriminatorTrainer",
    "FailureFilter",
    "FineTuneTrainer",
    "GeneratorTrainer",
    "LabExampleGen",
    "RealnessEvaluator",
]
