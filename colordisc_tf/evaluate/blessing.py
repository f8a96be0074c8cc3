"""The blessing: is the fine-tuned generator pushed? Decided on intervals, never on point estimates.

Each requirement reads one paired difference, fine-tuned − base, and its percentile-bootstrap
interval (colordisc_tf.evaluate.before_after: the same images resampled for both generators):

    raw AuC, eval split            non-inferiority: lower bound > −max_auc_drop
    rebalanced AuC, eval split     non-inferiority: lower bound > −max_rebalanced_auc_drop (unless null)
    detection AUC of fresh         improvement where the method claims it: upper bound <
      discriminators, eval failures  −min_retrained_auc_drop (harder to tell from real photos)
    fool rate of the fixed         optional (min_fool_rate_gain not null): lower bound > min_fool_rate_gain
      discriminator, eval failures

A requirement passes when its whole interval is on the right side of its bound, fails when
the whole interval is on the wrong side (or on the bound), and is otherwise unclear. The
outcome: any failure -> "NOT blessed"; else any unclear -> "not enough evidence"; else
"blessed". Only "blessed" is pushed. The verdict names the deciding intervals, e.g.
"not enough evidence: raw AuC on the 37 eval photos −1.44 [−2.90, +0.10] could be worse than −1.0".
"""

from __future__ import annotations

import dataclasses

from colordisc_tf.config import BlessingConfig

__all__ = ["BLESSED", "NOT_BLESSED", "NOT_ENOUGH_EVIDENCE", "Check", "Requirement", "Verdict", "bless", "requirements",
           "signed"]

BLESSED, NOT_BLESSED, NOT_ENOUGH_EVIDENCE = "blessed", "NOT blessed", "not enough evidence"
MINUS = "\u2212"


def signed(value: float, digits: int) -> str:
    """+0.31, −1.44: a difference, its sign always shown (a true minus sign)."""
    text = f"{value:+.{digits}f}"
    return text.replace("-", MINUS) if float(text) != 0 else f"{0.0:+.{digits}f}"


def _bound(value: float) -> str:
    """−1.0, 0, +0.05: a bound as its config wrote it (at least one decimal unless 0)."""
    if value == 0:
        return "0"
    text = f"{abs(value):.4f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return (MINUS if value < 0 else "+") + text


@dataclasses.dataclass(frozen=True)
class Requirement:
    """fine-tuned − base of `metric` on `set_name` must lie above (side "above") or below
    ("below") `bound`, all of its interval."""

    label: str  # "raw AuC" ...
    set_name: str  # "eval_all" or "eval_failures"
    metric: str
    side: str
    bound: float
    digits: int  # shown with this many decimals
    note: str = ""  # said after the label

    def describe(self, images: int) -> str:
        where = f"on the {images} eval photos" if self.set_name == "eval_all" else f"on the {images} eval failure cases"
        return f"{self.label} {where}{self.note}"


@dataclasses.dataclass(frozen=True)
class Check:
    requirement: Requirement
    images: int
    value: float | None
    ci: tuple | None
    state: str  # "pass", "fail" or "unclear"

    @property
    def text(self) -> str:
        r = self.requirement
        head = r.describe(self.images)
        if self.value is None:
            return f"{head}: not measured"
        number = signed(self.value, r.digits)
        if self.ci is None:
            return f"{head} {number} has no interval (fewer than 2 images to resample)"
        interval = f"{number} [{signed(self.ci[0], r.digits)}, {signed(self.ci[1], r.digits)}]"
        bound = _bound(r.bound)
        if r.side == "above":
            return f"{head} {interval} " + {"pass": f"is above {bound}", "fail": f"is worse than {bound}",
                                             "unclear": f"could be worse than {bound}"}[self.state]
        return f"{head} {interval} " + {"pass": f"is below {bound}: harder to tell from real",
                                         "fail": f"is not below {bound}: no harder to tell from real",
                                         "unclear": f"could be {bound} or more: not shown harder to tell from real"}[self.state]

    def as_dict(self) -> dict:
        r = self.requirement
        return {"label": r.label, "set": r.set_name, "metric": r.metric, "side": r.side, "bound": r.bound,
                "images": self.images, "difference": self.value, "ci": list(self.ci) if self.ci else None,
                "state": self.state, "text": self.text}


@dataclasses.dataclass(frozen=True)
class Verdict:
    outcome: str  # BLESSED, NOT_BLESSED or NOT_ENOUGH_EVIDENCE
    text: str  # the outcome and its deciding intervals
    checks: tuple = ()

    @property
    def blessed(self) -> bool:
        return self.outcome == BLESSED

    def as_dict(self) -> dict:
        """What before_after.json keeps: blessed (the Pusher's), outcome, verdict, every check."""
        return {"blessed": self.blessed, "outcome": self.outcome, "verdict": self.text,
                "reasons": [c.text for c in self.checks] or [self.text], "checks": [c.as_dict() for c in self.checks]}


def requirements(config: BlessingConfig, fresh: bool = True) -> list[Requirement]:
    """What config asks of the fine-tuned generator. fresh: whether there are fresh
    discriminators (retrain_discriminator_steps > 0); without them the improvement is read on
    the fixed discriminator's detection AUC, and the verdict says so."""
    out = [Requirement("raw AuC", "eval_all", "auc_raw", "above", -config.max_auc_drop, 2)]
    if config.max_rebalanced_auc_drop is not None:
        out.append(Requirement("rebalanced AuC", "eval_all", "auc_rebalanced", "above",
                               -config.max_rebalanced_auc_drop, 2))
    if fresh:
        out.append(Requirement("detection AUC of fresh discriminators", "eval_failures", "detection_auc_retrained",
                               "below", -config.min_retrained_auc_drop, 3))
    else:
        out.append(Requirement("detection AUC of the fixed discriminator", "eval_failures", "detection_auc_fixed",
                               "below", -config.min_retrained_auc_drop, 3,
                               " (no fresh discriminators: retrain_discriminator_steps is 0)"))
    if config.min_fool_rate_gain is not None:
        out.append(Requirement("fool rate of the fixed discriminator", "eval_failures", "fool_rate_fixed", "above",
                               config.min_fool_rate_gain, 3))
    return out


def _state(requirement: Requirement, ci) -> str:
    if ci is None:
        return "unclear"
    low, high = ci
    if requirement.side == "above":
        return "pass" if low > requirement.bound else "fail" if high <= requirement.bound else "unclear"
    return "pass" if high < requirement.bound else "fail" if low >= requirement.bound else "unclear"


def bless(report: dict, config: BlessingConfig) -> Verdict:
    """The verdict on compare_generators' report: reads each set's `difference` (fine-tuned −
    base and its paired interval `<metric>_ci`) and each set's image count, nothing else."""
    sets = report["sets"]
    failures = sets.get("eval_failures", {})
    if not failures.get("base", {}).get("images"):
        return Verdict(NOT_ENOUGH_EVIDENCE, f"{NOT_ENOUGH_EVIDENCE}: no eval-split failure cases to compare on")
    fresh = "detection_auc_retrained" in failures.get("difference", {})
    checks = []
    for requirement in requirements(config, fresh):
        section = sets.get(requirement.set_name, {})
        difference = section.get("difference", {})
        if requirement.metric not in difference:
            if requirement.metric == "auc_rebalanced":
                continue  # no colour prior given: nothing to compare
            checks.append(Check(requirement, section.get("base", {}).get("images", 0), None, None, "unclear"))
            continue
        ci = difference.get(f"{requirement.metric}_ci")
        ci = tuple(ci) if ci else None
        checks.append(Check(requirement, section["base"]["images"], difference[requirement.metric], ci,
                            _state(requirement, ci)))
    states = {c.state for c in checks}
    outcome = NOT_BLESSED if "fail" in states else NOT_ENOUGH_EVIDENCE if "unclear" in states else BLESSED
    deciding = {NOT_BLESSED: "fail", NOT_ENOUGH_EVIDENCE: "unclear", BLESSED: "pass"}[outcome]
    text = f"{outcome}: " + "; ".join(c.text for c in checks if c.state == deciding)
    return Verdict(outcome, text, tuple(checks))
