"""Every setting of the project, in one place: typed dataclasses, strict about what they accept.

Unknown keys, wrong types, out-of-range values and inconsistent combinations (a crop
larger than the records) are rejected when the config is loaded, with the offending key
named (`finetune.steps: must be >= 1, got -50`). `from_dict` / `to_dict` are the one
(de)serialiser: the pipeline hands each component its section as a dict, and every
trained model keeps the config it was trained with beside it (config.json), so the
settings a consumer needs travel with the model (see colordisc_tf.serve.saving).
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing

from colordisc_tf.color.decoding import HEADS, Decoding
from colordisc_tf.constants import DEFAULT_MAX_IMAGES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_REQUEST_PIXELS, PRECISIONS
from colordisc_tf.models.architectures import ARCHITECTURES, DEFAULT_ARCH

__all__ = [
    "ConfigError",
    "Decoding",
    "from_dict",
    "to_dict",
    "describe",
    "failure_selection",
    "load_config",
    "PreprocessConfig",
    "PriorConfig",
    "GeneratorConfig",
    "DiscriminatorConfig",
    "FineTuneConfig",
    "BlessingConfig",
    "PipelineConfig",
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


MULTI_WORKER_MIRRORED = (
    "multi_worker_mirrored is not supported: Keras 3's fit fails under tf.distribute.MultiWorkerMirroredStrategy "
    "(keras-team/keras#20585, open; broken since TF 2.16). Use 'mirrored' for several GPUs on one host, or "
    "'processes: N' for data-parallel JAX processes (Keras' distribution API; docs/scaling.md).")

# Keys of configs written before 2026-11-28, when "critic" became "discriminator" everywhere.
RENAMED_KEYS = {
    "critic_learning_rate": "discriminator_learning_rate",
    "retrain_critic_steps": "retrain_discriminator_steps",
    "retrain_critic_seeds": "retrain_discriminator_seeds",
}


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
    renamed = [f"{prefix}{k} is now {prefix}{RENAMED_KEYS[k]}" for k in unknown if RENAMED_KEYS.get(k) in fields]
    if renamed:
        raise ConfigError(f"renamed config key(s): {'; '.join(renamed)}")
    if unknown:
        raise ConfigError(f"unknown config key(s) {[prefix + k for k in unknown]}; known: {sorted(fields)}")
    values = {k: _check_type(prefix + k, v, hints[k]) for k, v in data.items()}
    try:
        return cls(**values)
    except ConfigError as e:  # a rule of a nested section: name the whole key path
        raise ConfigError(f"{prefix}{e}") from None
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{prefix or cls.__name__ + ': '}{e}") from None


def _require(ok: bool, key: str, rule: str, value) -> None:
    if not ok:
        raise ConfigError(f"{key}: must be {rule}, got {value!r}")


def _positive(config, *keys) -> None:
    for key in keys:
        _require(getattr(config, key) >= 1, key, ">= 1", getattr(config, key))


def _training_steps(config, min_steps: int = 1) -> None:
    _positive(config, "steps_per_epoch", "batch_size")
    _require(config.steps >= min_steps, "steps", f">= {min_steps}", config.steps)
    _require(config.steps % config.steps_per_epoch == 0, "steps",
             f"a multiple of steps_per_epoch ({config.steps_per_epoch})", config.steps)
    _require(config.learning_rate >= 0, "learning_rate", ">= 0", config.learning_rate)


def _precision(config) -> None:
    _require(config.precision in PRECISIONS, "precision", " or ".join(PRECISIONS), config.precision)


def failure_selection(quantile: float | None, threshold: float | None, prefix: str = "") -> dict:
    """The failure-case rule's one check (the pipeline config, FailureFilter and
    select_failures all call it): the lowest `quantile` of realness, in (0, 1], or every
    colorization below an absolute `threshold`; exactly one of them. `prefix` names the keys
    in the messages ("failure_" in the pipeline config)."""
    if (quantile is None) == (threshold is None):
        raise ConfigError(f"give exactly one of {prefix}quantile and {prefix}threshold")
    if quantile is not None:
        _require(0 < quantile <= 1, f"{prefix}quantile", "in (0, 1]", quantile)
    return {"quantile": quantile, "threshold": threshold}


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def describe(config) -> str:
    return json.dumps(to_dict(config), indent=2, sort_keys=True)


@dataclasses.dataclass(frozen=True)
class PreprocessConfig:
    """Image files -> Lab records (colordisc_tf.data.preprocess)."""

    size: int = 256  # records are size x size crops
    eval_percent: int = 10  # share of images (by content hash) in the eval split
    min_side: int | None = None  # reject shorter sides below this; default: size (never upscale)
    max_pixels: int = DEFAULT_MAX_PIXELS
    gray_threshold: float = 5.0  # reject if every |a| and |b| is at most this
    num_shards: int = 0  # 0: let the runner choose

    def __post_init__(self):
        _require(self.size >= 8, "size", ">= 8", self.size)
        _require(0 <= self.eval_percent <= 100, "eval_percent", "in [0, 100]", self.eval_percent)
        _require(self.min_side is None or self.min_side >= 1, "min_side", ">= 1 (or null)", self.min_side)
        _positive(self, "max_pixels")
        _require(self.gray_threshold >= 0, "gray_threshold", ">= 0", self.gray_threshold)
        _require(self.num_shards >= 0, "num_shards", ">= 0", self.num_shards)

    @property
    def effective_min_side(self) -> int:
        return self.size if self.min_side is None else self.min_side


@dataclasses.dataclass(frozen=True)
class PriorConfig:
    lam: float = 0.5  # mix with uniform
    sigma: float = 5.0  # Gaussian smoothing, ab units

    def __post_init__(self):
        _require(0 <= self.lam <= 1, "lam", "in [0, 1]", self.lam)
        _require(self.sigma > 0, "sigma", "> 0", self.sigma)


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
    """How the colorizer is built, trained and decoded. Defaults: a CPU-sized demo.
    Saved beside every trained generator: its consumers decode with its `decoding`."""

    arch: str = DEFAULT_ARCH  # the architecture, by its name in colordisc_tf.models.architectures
    width: float = 0.125  # channel multiplier; 1.0 is the published 32.2 M-parameter model
    head: str = Decoding.head  # or "l2", the regression baseline (part of `decoding`)
    crop_size: int = 64  # training crops (multiple of 8); the reference trained on 176
    batch_size: int = 16
    steps: int = 300  # total optimizer steps (0 with `init`: use the initial model as is)
    steps_per_epoch: int = 50  # checkpoint (BackupAndRestore) + eval + logging interval
    learning_rate: float = 1e-3  # Adam; the reference used 3e-5 at width 1.0
    lr_decay: bool = True  # cosine decay to 10 % over `steps`
    # > 0: the saved weights are this exponential moving average of the trained ones (Keras' use_ema); 0: the
    # last weights. BN statistics stay the last step's: on the starter it lost rebalanced AuC in 4 of 4 seeds
    # (docs/starter.md), so it is off unless a run measures otherwise
    ema_momentum: float = 0.0
    k: int = 5  # soft-encoding neighbours (the released code used 10)
    sigma: float = 5.0  # soft-encoding Gaussian, ab units
    # > 0: the loss adds this times the ab error of `decoding`, as serving decodes (train/losses.py:
    # decoded_ab_error, raw AuC's own per-pixel loss). As finishing steps on the starter it changed nothing
    # measurable, and from the first step it cost raw AuC in 2 of 2 seeds (docs/starter.md, "Finishing steps
    # on the decoded error", "The decoded error from the first step"): off unless a run measures otherwise.
    # Classification head only
    decoded_error_weight: float = 0.0
    temperature: float = Decoding.temperature  # of the annealed mean (part of `decoding`)
    # the decoded ab times this (part of `decoding`: a colourfulness calibration, Decoding's docstring); None:
    # the init's (the starter's is fitted on its hold-out), 1 without an init
    chroma_gain: float | None = None
    # > 0: each pixel's chroma gain times (its confidence / the image's mean confidence) ** this (part of
    # `decoding`, Decoding's docstring: colour moved to where the network is sure); None: the init's, 0 without
    confidence_power: float | None = None
    random_flip: bool = True
    eval_batches: int = 4  # eval AuC / loss on this many eval batches each epoch
    image_every: int = 1  # image grid to TensorBoard every N epochs (0: never)
    serving_size: int = 256  # resolution the serving model predicts at
    max_serving_pixels: int = DEFAULT_MAX_PIXELS  # serving rejects larger inputs
    max_serving_images: int = DEFAULT_MAX_IMAGES  # ...and requests with more images
    max_serving_request_pixels: int = DEFAULT_MAX_REQUEST_PIXELS  # ...or more pixels in all (from the headers)
    seed: int = 0
    # a generator model directory / .keras file to start from (e.g. imported ECCV16), or "starter": the small
    # colorizer shipped with the package (colordisc_tf/models/starter/MODEL_CARD.md)
    init: str | None = None
    jit_compile: bool = False
    precision: str = "float32"  # or "mixed_bfloat16" (GPUs, bf16 CPUs) or "auto"; saved models stay float32
    processes: int = 1  # > 1: data-parallel JAX processes on this host (colordisc_tf.train.data_parallel)

    def __post_init__(self):
        _precision(self)
        _require(self.arch in ARCHITECTURES, "arch", "one of " + ", ".join(map(repr, sorted(ARCHITECTURES))), self.arch)
        _require(self.width > 0, "width", "> 0", self.width)
        _positive(self, "processes")
        _require(self.batch_size % self.processes == 0, "batch_size", f"a multiple of processes ({self.processes})",
                 self.batch_size)
        _require(self.head in HEADS, "head", " or ".join(map(repr, HEADS)), self.head)
        _require(self.crop_size >= 8 and self.crop_size % 8 == 0, "crop_size", "a multiple of 8", self.crop_size)
        _training_steps(self, min_steps=0 if self.init else 1)
        _require(1 <= self.k <= 313, "k", "in [1, 313]", self.k)
        _require(self.sigma > 0, "sigma", "> 0", self.sigma)
        _require(0 <= self.ema_momentum < 1, "ema_momentum", "in [0, 1)", self.ema_momentum)
        _require(self.temperature > 0, "temperature", "> 0", self.temperature)
        _require(self.decoded_error_weight >= 0, "decoded_error_weight", ">= 0", self.decoded_error_weight)
        _require(not self.decoded_error_weight or self.head == "classification", "decoded_error_weight",
                 "0 with the l2 head (it has no decoding to train)", self.decoded_error_weight)
        _require(self.chroma_gain is None or self.chroma_gain > 0, "chroma_gain", "> 0 (or null)", self.chroma_gain)
        _require(self.confidence_power is None or self.confidence_power >= 0, "confidence_power", ">= 0 (or null)",
                 self.confidence_power)
        _require(not self.confidence_power or self.head == "classification", "confidence_power",
                 "0 or null with the l2 head (no bin distribution)", self.confidence_power)
        _require(self.eval_batches >= 0, "eval_batches", ">= 0", self.eval_batches)
        _require(self.image_every >= 0, "image_every", ">= 0", self.image_every)
        _require(self.serving_size >= 8, "serving_size", ">= 8", self.serving_size)
        _positive(self, "max_serving_pixels", "max_serving_images", "max_serving_request_pixels")

    @property
    def decoding(self) -> Decoding:
        """The one decoding value every consumer of this generator takes whole."""
        return Decoding(self.temperature, self.head, self.resolved_chroma_gain, self.resolved_confidence_power)

    @property
    def resolved_chroma_gain(self) -> float:
        """chroma_gain, or the init's where it says null (1 without an init, or an init without a config)."""
        return self.chroma_gain if self.chroma_gain is not None else self._init_setting("chroma_gain", 1.0)

    @property
    def resolved_confidence_power(self) -> float:
        """confidence_power, or the init's where it says null (0 without an init, or an init without one)."""
        if self.confidence_power is not None:
            return self.confidence_power
        return self._init_setting("confidence_power", 0.0) if self.head == "classification" else 0.0

    def _init_setting(self, key: str, default: float) -> float:
        """The init's config.json value of a decoding setting the init was calibrated with."""
        if not self.init:
            return default
        from colordisc_tf.models.starter import resolve_init

        path = os.path.join(resolve_init(self.init), "config.json")
        if not os.path.isfile(path):
            return default
        with open(path) as f:
            value = json.load(f).get(key)
        return default if value is None else float(value)


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
    precision: str = "float32"  # as GeneratorConfig.precision
    processes: int = 1  # as GeneratorConfig.processes

    def __post_init__(self):
        _precision(self)
        _positive(self, "width", "depth", "processes")
        _training_steps(self)
        _require(self.batch_size % (2 * self.processes) == 0, "batch_size",
                 f"a multiple of 2 x processes ({2 * self.processes}: each process's batch is half real, half colorized)",
                 self.batch_size)
        _require(self.crop_size >= 2**self.depth, "crop_size", f">= 2**depth ({2**self.depth})", self.crop_size)
        _require(0 <= self.beta_1 < 1, "beta_1", "in [0, 1)", self.beta_1)
        _require(self.eval_batches >= 0, "eval_batches", ">= 0", self.eval_batches)
        _require(self.serving_size >= 2**self.depth, "serving_size", f">= 2**depth ({2**self.depth})",
                 self.serving_size)


@dataclasses.dataclass(frozen=True)
class FineTuneConfig:
    """Adversarial fine-tuning of the generator on its failure cases. It decodes with the
    base generator's own decoding (GeneratorConfig.decoding, saved with it)."""

    steps: int = 200
    steps_per_epoch: int = 50
    batch_size: int = 16
    crop_size: int = 56
    learning_rate: float = 1e-4
    # 0: the discriminator stays fixed. > 0: it learns alongside the generator at this rate (TTUR,
    # usually faster than the generator's, e.g. 4x).
    discriminator_learning_rate: float = 0.0
    lambda_adv: float = 0.1  # weight of the non-saturating GAN loss next to the CE anchor
    mix_ordinary: float = 0.5  # share of ordinary train examples mixed in against forgetting (0: failures only)
    k: int = 5
    sigma: float = 5.0
    seed: int = 0
    strategy: str = "default"  # TensorFlow backend: "default" or "mirrored" (all local GPUs)
    precision: str = "float32"  # as GeneratorConfig.precision: both players compute in it
    processes: int = 1  # as GeneratorConfig.processes (JAX; strategy stays "default")

    def __post_init__(self):
        _precision(self)
        if self.strategy == "multi_worker_mirrored":
            raise ConfigError(f"strategy: {MULTI_WORKER_MIRRORED}")
        _require(self.strategy in ("default", "mirrored"), "strategy", "default or mirrored", self.strategy)
        _positive(self, "processes")
        _require(self.processes == 1 or self.strategy == "default", "strategy",
                 "'default' when processes > 1 (mirrored is TensorFlow's; processes train on JAX)", self.strategy)
        _require(self.batch_size % self.processes == 0, "batch_size", f"a multiple of processes ({self.processes})",
                 self.batch_size)
        _training_steps(self)
        _require(self.discriminator_learning_rate >= 0, "discriminator_learning_rate",
                 ">= 0 (0 keeps the discriminator fixed)", self.discriminator_learning_rate)
        _require(self.lambda_adv >= 0, "lambda_adv", ">= 0", self.lambda_adv)
        _require(0 <= self.mix_ordinary < 1, "mix_ordinary", "in [0, 1)", self.mix_ordinary)
        _require(self.crop_size >= 8 and self.crop_size % 8 == 0, "crop_size", "a multiple of 8", self.crop_size)
        _require(1 <= self.k <= 313, "k", "in [1, 313]", self.k)
        _require(self.sigma > 0, "sigma", "> 0", self.sigma)


@dataclasses.dataclass(frozen=True)
class BlessingConfig:
    """When BeforeAfterEvaluator blesses the fine-tuned generator (colordisc_tf.evaluate.blessing):
    on paired intervals of fine-tuned - base (the same images resampled for both), never on
    point estimates. Each requirement passes when its whole interval is on the right side of
    its bound, fails when the whole interval is on the wrong side, and is otherwise unclear:
    any failure -> "NOT blessed", else any unclear -> "not enough evidence", else "blessed"."""

    # non-inferiority: the lower bound of raw AuC's difference on the eval split above -max_auc_drop (points)
    max_auc_drop: float = 1.0
    # the same for rebalanced AuC, the one that rewards rare, vivid colours: a generator can please
    # discriminators by toning colours down (null: not a requirement)
    max_rebalanced_auc_drop: float | None = 1.0
    # improvement where the method claims it: the upper bound of the detection-AUC difference of fresh
    # discriminators (retrained on each generator's own outputs) on the eval failures below -min_retrained_auc_drop
    min_retrained_auc_drop: float = 0.0
    # optional: the lower bound of the fixed discriminator's fool-rate difference on the eval failures above
    # this (null: not a requirement; fine-tuning played against that discriminator, so it flatters)
    min_fool_rate_gain: float | None = None
    confidence: float = 0.95  # of every interval (two-sided percentile bootstrap)
    resamples: int = 2000  # bootstrap resamples of the images
    bootstrap_seed: int = 0
    # steps of each fresh discriminator (0: none; the improvement is then read on the fixed discriminator's
    # detection AUC, and the verdict says so)
    retrain_discriminator_steps: int = 200
    # fresh discriminators per generator (seeds discriminator seed, +1, ...); their metrics are averaged: on a
    # handful of failure cases one discriminator's detection AUC moves by ~0.05 with the seed alone
    retrain_discriminator_seeds: int = 1

    def __post_init__(self):
        _require(self.max_auc_drop >= 0, "max_auc_drop", ">= 0", self.max_auc_drop)
        _require(self.max_rebalanced_auc_drop is None or self.max_rebalanced_auc_drop >= 0, "max_rebalanced_auc_drop",
                 ">= 0 (or null)", self.max_rebalanced_auc_drop)
        _require(0 <= self.min_retrained_auc_drop < 1, "min_retrained_auc_drop", "in [0, 1)",
                 self.min_retrained_auc_drop)
        _require(self.min_fool_rate_gain is None or -1 <= self.min_fool_rate_gain < 1, "min_fool_rate_gain",
                 "in [-1, 1) (or null)", self.min_fool_rate_gain)
        _require(0.5 <= self.confidence < 1, "confidence", "in [0.5, 1)", self.confidence)
        _require(self.resamples >= 100, "resamples", ">= 100 (percentile intervals need a tail to read)",
                 self.resamples)
        _require(self.bootstrap_seed >= 0, "bootstrap_seed", ">= 0", self.bootstrap_seed)
        _require(self.retrain_discriminator_steps >= 0, "retrain_discriminator_steps", ">= 0",
                 self.retrain_discriminator_steps)
        _positive(self, "retrain_discriminator_seeds")


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
    preprocess: PreprocessConfig = dataclasses.field(default_factory=PreprocessConfig)
    prior: PriorConfig = dataclasses.field(default_factory=PriorConfig)
    generator: GeneratorConfig = dataclasses.field(default_factory=GeneratorConfig)
    # LabExampleGen fails the run below these (a discriminator "0 % error" on 1 eval photo says nothing)
    min_train_photos: int = 20
    min_eval_photos: int = 8
    colorize_batch_size: int = 32
    discriminator: DiscriminatorConfig = dataclasses.field(default_factory=DiscriminatorConfig)
    worst_cases: int = 8  # realness-map overlays in the report
    failure_quantile: float | None = 0.25  # FailureFilter: lowest share of realness...
    failure_threshold: float | None = None  # ...or an absolute realness (give one)
    finetune: FineTuneConfig = dataclasses.field(default_factory=FineTuneConfig)
    push: bool = True  # Pushers: <serving_root>/<name>_{generator,discriminator,generator_finetuned}
    blessing: BlessingConfig = dataclasses.field(default_factory=BlessingConfig)
    report_dir: str = "reports/latest"  # the HTML report is copied here ("" for none)
    # pytorch-fid's pt_inception-2015-12-05-6726825d.pth: BeforeAfterEvaluator then reports the FID of base and
    # fine-tuned on the eval split ("" for none; the project downloads nothing)
    fid_weights: str = ""

    def __post_init__(self):
        object.__setattr__(self, "data", tuple(self.data))
        object.__setattr__(self, "beam_args", tuple(self.beam_args))
        _require(bool(self.name), "name", "a non-empty string", self.name)
        _require(self.demo_tile >= 8, "demo_tile", ">= 8", self.demo_tile)
        _positive(self, "colorize_batch_size", "min_train_photos", "min_eval_photos")
        _require(self.worst_cases >= 0, "worst_cases", ">= 0", self.worst_cases)
        failure_selection(self.failure_quantile, self.failure_threshold, prefix="failure_")
        # Records are preprocess.size squared (the demo's: demo_tile): every crop must fit in one.
        record = min(self.preprocess.size, self.demo_tile) if not self.data else self.preprocess.size
        for section in ("generator", "discriminator", "finetune"):
            crop = getattr(self, section).crop_size
            _require(crop <= record, f"{section}.crop_size", f"<= the record size ({record}: preprocess.size"
                     + (", demo_tile" if not self.data else "") + ")", crop)


def load_config(path: str | None = None, overrides: dict | None = None) -> PipelineConfig:
    """A PipelineConfig from a JSON file (or the defaults), with overrides on top.
    Raises ConfigError naming the file and the key."""
    data = {}
    if path:
        try:
            with open(path) as f:
                data = json.load(f)
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the config: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    data.update(overrides or {})
    try:
        config = from_dict(PipelineConfig, data)
        _check_paths(config)
        return config
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}" if path else str(e)) from None


def _check_paths(config: PipelineConfig) -> None:
    """Paths the run will read, checked now rather than after the components before them ran
    (local paths only: a remote one is the cluster's to see)."""
    import os

    from colordisc_tf.infra.uris import is_remote

    from colordisc_tf.models.starter import resolve_init

    try:
        init = resolve_init(config.generator.init)
    except FileNotFoundError as e:
        raise ConfigError(f"generator.init: {e}") from None
    if init and not is_remote(init) and not os.path.exists(init):
        raise ConfigError(f"generator.init: {init} does not exist (\"starter\", a generator model directory or .keras file)")
    if config.fid_weights and not is_remote(config.fid_weights) and not os.path.isfile(config.fid_weights):
        raise ConfigError(f"fid_weights: {config.fid_weights} is not a file (pytorch-fid's "
                          "pt_inception-2015-12-05-6726825d.pth)")
