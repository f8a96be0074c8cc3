"""TFX components: thin adapters that read artifacts, call colordisc_tf, write artifacts."""

from colordisc_tf.infra.quiet import quiet_tensorflow_io

quiet_tensorflow_io()  # before the component modules import TFX, which imports tensorflow-io

from components.artifact_types import ColorizationReport, ColorPrior, RealnessScores
from components.before_after_evaluator import BeforeAfterEvaluator
from components.color_prior_gen import ColorPriorGen
from components.colorize import Colorize
from components.discriminator_trainer import DiscriminatorTrainer
from components.failure_filter import FailureFilter
from components.finetune_trainer import FineTuneTrainer
from components.generator_trainer import GeneratorTrainer
from components.lab_example_gen import LabExampleGen
from components.realness_colorizer import RealnessColorizer
from components.realness_evaluator import RealnessEvaluator

__all__ = [
    "ColorPrior",
    "ColorizationReport",
    "BeforeAfterEvaluator",
    "RealnessScores",
    "ColorPriorGen",
    "Colorize",
    "DiscriminatorTrainer",
    "FailureFilter",
    "FineTuneTrainer",
    "GeneratorTrainer",
    "LabExampleGen",
    "RealnessColorizer",
    "RealnessEvaluator",
]
