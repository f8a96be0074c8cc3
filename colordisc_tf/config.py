"""Configuration dataclasses, strict about what they accept.

Unknown keys and wrong types are rejected with the offending key named; the
resolved config is logged with every run (see `describe`).
"""

from __future__ import annotations

import dataclasses
import json
import typing

__all__ = [
    "ConfigError",
    "from_dict",
    "to_dict",
    "describe",
    "load_config",
    "GeneratorConfig",
    "PriorConfig",
    "PipelineConfig",
    "DiscriminatorConfig",
    "FineTuneConfig",
]


class ConfigError(ValueError):
    pass


def _check_type(name: str, value, annotation):
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return value
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_type(name, value, option)
            except ConfigError:
                pass
        raise ConfigError(f"{name}: expected {annotation}, got {type(value).__name__} {value!r}")
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (tuple, list, dict):
        if not isinstance(value, (tuple, list) if annotation in (tuple, list) else dict):
            raise ConfigError(f"{name}: expected {annotation.__name__}, got {type(value).__name__} {value!r}")
        return value
    if annotation in (int, float, str, bool):
        if not isinstance(value, annotation) or (annotation is int and isinstance(value, bool)):
            raise ConfigError(f"{name}: expected {annotation.__name__}, got {type(value).__name__} {value!r}")
        return value
    if dataclasses.is_dataclass(annotation):
        return from_dict(annotation, value, prefix=f"{name}.")
    return value


def from_dict(cls, data: dict | None, prefix: str = ""):
    """Build dataclass `cls` from a dict; unknown keys and wrong types raise ConfigError."""
    if data is None:
        return cls()
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or cls.__name__}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ConfigError(f"unknown config key(s) {[prefix + k for k in unknown]}; known: {sorted(fields)}")
    values = {k: _check_type(prefix + k, v, hints[k]) for k, v in data.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{prefix or cls.__name__}: {e}") from None


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def describe(config) -> str:
    return json.dumps(to_dict(config), indent=2, sort_keys=True)


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
    """How the colorizer is built and trained. Defaults: a CPU-sized demo."""

    width: float = 0.125  # channel multiplier; 1.0 is the published 32.2 M-parameter model
    head: str = "classification"  # or "l2", the regression baseline
    crop_size: int = 64  # training crops (multiple of 8); the reference trained on 176
    batch_size: int = 16
    steps: int = 300  # total optimizer steps (0 with `init`: use the initial model as is)
    steps_per_epoch: int = 50  # checkpoint (BackupAndRestore) + eval + logging interval
    learning_rate: float = 1e-3  # Adam; the reference used 3e-5 at width 1.0
    lr_decay: bool = True  # cosine decay to 10 % over `steps`
    k: int = 5  # soft-encoding neighbours (the released code used 10)
    sigma: float = 5.0  # soft-encoding Gaussian, ab units
    temperature: float = 0.38  # annealed mean
    random_flip: bool = True
    eval_batches: int = 4  # eval AuC / loss on this many eval batches each epoch
    image_every: int = 1  # image grid to TensorBoard every N epochs (0: never)
    serving_size: int = 256  # resolution the serving model predicts at
    max_serving_pixels: int = 40_000_000  # serving rejects larger inputs
    seed: int = 0
    init: str | None = None  # a generator SavedModel / .keras file to start from (e.g. imported ECCV16)
    jit_compile: bool = False

    def __post_init__(self):
        if self.crop_size % 8:
            raise ValueError(f"crop_size must be a multiple of 8, got {self.crop_size}")
        if self.head not in ("classification", "l2"):
            raise ValueError(f"head must be 'classification' or 'l2', got {self.head!r}")
        for name in ("steps_per_epoch", "batch_size", "k", "serving_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.steps < (0 if self.init else 1):
            raise ValueError("steps must be positive (or 0 with init: no training)")
        if self.steps % self.steps_per_epoch:
            raise ValueError(f"steps ({self.steps}) must be a multiple of steps_per_epoch ({self.steps_per_epoch})")


@dataclasses.dataclass(frozen=True)
class PriorConfig:
    lam: float = 0.5  # mix with uniform
    sigma: float = 5.0  # Gaussian smoothing, ab units


def _preprocess_config():
    from colordisc_tf.beam_preprocess import PreprocessConfig

    return PreprocessConfig


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Everything `create_pipeline` needs; presets live in pipelines/configs/."""

    name: str = "colordisc"
    data: tuple = ()  # image folders / files / patterns; empty: the bundled demo photos
    demo_tile: int = 64  # tile size when using the bundled demo photos
    pipeline_root: str = "pipeline_root"
    metadata_path: str = ""  # default: <pipeline_root>/metadata.sqlite
    serving_root: str = "saved_models"  # Pusher destination: <serving_root>/<model name>/<version>
    beam_args: tuple = ()  # default: DirectRunner, one process per core
    enable_cache: bool = True
    preprocess: dict = dataclasses.field(default_factory=dict)  # PreprocessConfig fields
    prior: PriorConfig = dataclasses.field(default_factory=PriorConfig)
    generator: GeneratorConfig = dataclasses.field(default_factory=GeneratorConfig)
    colorize_batch_size: int = 32
    discriminator: dict = dataclasses.field(default_factory=dict)  # DiscriminatorConfig fields
    worst_cases: int = 8  # realness-map overlays in the report
    failure_quantile: float | None = 0.25  # FailureFilter: lowest share of realness...
    failure_threshold: float | None = None  # ...or an absolute realness (give one)
    finetune: dict = dataclasses.field(default_factory=dict)  # FineTuneConfig fields
    push: bool = True  # Pushers: <serving_root>/<name>_{generator,discriminator,generator_finetuned}
    blessing: dict = dataclasses.field(default_factory=dict)  # BlessingConfig fields
    report_dir: str = "reports/latest"  # the HTML report is copied here ("" for none)

    def __post_init__(self):
        object.__setattr__(self, "data", tuple(self.data))
        object.__setattr__(self, "beam_args", tuple(self.beam_args))
        from_dict(_preprocess_config(), self.preprocess, prefix="preprocess.")
        from_dict(DiscriminatorConfig, self.discriminator, prefix="discriminator.")
        from_dict(FineTuneConfig, self.finetune, prefix="finetune.")
        if (self.failure_quantile is None) == (self.failure_threshold is None):
            raise ValueError("set exactly one of failure_quantile and failure_threshold")

    @property
    def finetune_config(self):
        return from_dict(FineTuneConfig, self.finetune, prefix="finetune.")

    @property
    def discriminator_config(self):
        return from_dict(DiscriminatorConfig, self.discriminator, prefix="discriminator.")

    @property
    def preprocess_config(self):
        return from_dict(_preprocess_config(), self.preprocess, prefix="preprocess.")


def load_config(path: str | None = None, overrides: dict | None = None) -> PipelineConfig:
    """A PipelineConfig from a JSON file (or the defaults), with overrides on top."""
    data = {}
    if path:
        with open(path) as f:
            data = json.load(f)
    data.update(overrides or {})
    return from_dict(PipelineConfig, data)


@dataclasses.dataclass(frozen=True)
class DiscriminatorConfig:
    """The realness discriminator and its training. Defaults: a CPU-sized demo."""

    width: int = 32  # channels of the first conv (64 in pix2pix)
    depth: int = 3  # stride-2 convs: 3 gives the 70x70 PatchGAN
    global_pool: bool = False  # one logit per image instead of a patch map
    crop_size: int = 56
    batch_size: int = 32  # half real, half colorized
    steps: int = 300
    steps_per_epoch: int = 50
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    random_flip: bool = True
    eval_batches: int = 8
    serving_size: int = 64  # the serving model scores images resized to this
    seed: int = 0

    def __post_init__(self):
        if self.batch_size % 2:
            raise ValueError("batch_size must be even (half real, half colorized)")
        if self.steps % self.steps_per_epoch:
            raise ValueError(f"steps ({self.steps}) must be a multiple of steps_per_epoch ({self.steps_per_epoch})")


@dataclasses.dataclass(frozen=True)
class FineTuneConfig:
    """Adversarial fine-tuning of the generator on its failure cases."""

    steps: int = 200
    steps_per_epoch: int = 50
    batch_size: int = 16
    crop_size: int = 56
    learning_rate: float = 1e-4
    # 0: the critic stays fixed. > 0: it learns alongside the generator at this rate (TTUR,
    # usually faster than the generator's, e.g. 4x).
    critic_learning_rate: float = 0.0
    lambda_adv: float = 0.1  # weight of the non-saturating GAN loss next to the CE anchor
    mix_ordinary: float = 0.5  # share of ordinary train examples mixed in against forgetting (0: failures only)
    temperature: float = 0.38  # annealed mean used to decode differentiably for the critic
    k: int = 5
    sigma: float = 5.0
    seed: int = 0
    strategy: str = "default"  # TensorFlow backend: "default", "mirrored" (all local GPUs) or "multi_worker_mirrored"

    def __post_init__(self):
        if self.strategy not in ("default", "mirrored", "multi_worker_mirrored"):
            raise ValueError(f"strategy must be default, mirrored or multi_worker_mirrored, got {self.strategy!r}")
        if self.critic_learning_rate < 0:
            raise ValueError("critic_learning_rate must be >= 0 (0 keeps the critic fixed)")
        if not 0 <= self.mix_ordinary < 1:
            raise ValueError("mix_ordinary must be in [0, 1)")
        if self.steps % self.steps_per_epoch:
            raise ValueError(f"steps ({self.steps}) must be a multiple of steps_per_epoch ({self.steps_per_epoch})")
        if self.crop_size % 8:
            raise ValueError(f"crop_size must be a multiple of 8, got {self.crop_size}")
