"""The LLM auditor, the hybrid of rules and LLM, and `make_auditor`, which builds one from config.

* `LLMAuditor`: the `privacy_audit` prompt through the gateway at temperature 0.05. A failed audit
  (an error, or no parseable rating after the gateway's re-asks) is rated 1 with the error as its
  reason: an audit that did not happen must never let a cluster through to analysts.
* `HybridAuditor`: the rules decide; the LLM is asked only where the rules are unsure and the
  lower of the two scores wins, so the LLM can only make a rating more cautious.
* `make_auditor`: "rules", "llm" or "hybrid".

The rule auditor itself is in `clio.privacy.rules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from clio.errors import ConfigError
from clio.privacy.layers import PrivacyAuditor, Rating, Stage, check_stage
from clio.privacy.rules import RuleAuditor

# =========================================================================== LLM auditor


class LLMAuditor:
    """The `privacy_audit` prompt through the gateway.

    Failures are conservative: a text whose audit failed is rated 1 (source "llm-error", the error
    as its reason), so a cluster that could not be audited is removed, never shown."""

    name = "llm"

    def __init__(self, gateway: Any, *, prompt: str = "privacy_audit", temperature: float = 0.05, max_chars: int = 1500, stage_name: str = "privacy_audit"):
        from clio.prompts import load_prompt

        self.gateway = gateway
        self.template = load_prompt(prompt)
        self.temperature = temperature
        self.max_chars = max_chars
        self.stage_name = stage_name

    def identity(self) -> dict[str, Any]:
        return {"kind": "llm", "prompt": self.template.ref, "backend": self.gateway.backend.identity(), "temperature": self.temperature, "max_chars": self.max_chars}

    def components(self) -> dict[str, Any]:
        return {"llm_prompt": self.template.ref, "llm_backend": self.gateway.backend.identity()}

    def fit_content(self, text: str) -> str:
        """Stated truncation rule: texts longer than max_chars keep their first two thirds and
        their last third of the budget, joined by " [...] "."""
        text = text.strip()
        if len(text) <= self.max_chars:
            return text
        head = (2 * self.max_chars) // 3
        tail = self.max_chars - head
        return text[:head] + " [...] " + text[-tail:]

    def job(self, text: str) -> Any:
        """The audit call of one text (an LLMJob); the estimator renders it too (clio/estimate.py)."""
        from clio.llm.backends import SamplingParams
        from clio.llm.gateway import LLMJob

        return LLMJob(self.template.render(content=self.fit_content(text)), SamplingParams(max_tokens=6, temperature=self.temperature, stop=("</answer>",)))

    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]:
        check_stage(stage)
        jobs = [self.job(t) for t in texts]
        results = self.gateway.ask_many(jobs, stage=self.stage_name, desc=f"privacy audit ({stage})") if jobs else []
        ratings = []
        for result in results:
            if result.ok and isinstance(result.value, int) and 1 <= result.value <= 5:
                ratings.append(Rating(score=result.value, reasons=[f"llm rated {result.value}"], source="llm"))
            else:
                why = result.error or f"unusable value {result.value!r}"
                ratings.append(Rating(score=1, reasons=[f"audit failed, treated as not privacy-preserving: {why}"], source="llm-error", certain=False))
        return ratings


# =========================================================================== hybrid


class HybridAuditor:
    """Rules first; the LLM only where it is asked to help.

    Which ratings go to the LLM: those the rule auditor marks uncertain (a text in a script
    without capital letters where it found nothing decisive, or a lone unknown capitalised word
    that may be a famous name it does not know), or every rating with mode "all".
    How the answers combine:
      mode "uncertain" (default): min(rules, llm) on the uncertain ones: the LLM can only make a
        rating more cautious, never let private content through;
      mode "arbitrate": on the uncertain ones the LLM's score replaces the rule score (it can
        also clear a lone unknown word the rules flagged);
      mode "all": every text goes to the LLM, min of both.
    With llm=None the hybrid is the rule auditor. A failed LLM call leaves the rule score (the
    LLM is a second opinion here; the failure is recorded in the reasons)."""

    name = "hybrid"

    def __init__(self, rule: RuleAuditor | None = None, llm: LLMAuditor | None = None, *, mode: Literal["uncertain", "arbitrate", "all"] = "uncertain", trust_llm_failures: bool = False):
        if mode not in ("uncertain", "arbitrate", "all"):
            raise ConfigError(f"hybrid privacy auditor mode must be uncertain, arbitrate or all, not '{mode}'")
        self.rule = rule or RuleAuditor()
        self.llm = llm
        self.mode = mode
        self.trust_llm_failures = trust_llm_failures
        self.llm_calls = 0

    def identity(self) -> dict[str, Any]:
        return {"kind": "hybrid", "mode": self.mode, "rules": self.rule.identity(), "llm": self.llm.identity() if self.llm else None}

    def components(self) -> dict[str, Any]:
        return {**self.rule.components(), "hybrid_mode": self.mode, **(self.llm.components() if self.llm else {"llm_prompt": None})}

    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]:
        check_stage(stage)
        ratings = self.rule.rate(texts, stage)
        if self.llm is None:
            return [r.model_copy(update={"source": "hybrid(rules)"}) for r in ratings]
        ask = [i for i, r in enumerate(ratings) if self.mode == "all" or not r.certain]
        if not ask:
            return [r.model_copy(update={"source": "hybrid(rules)"}) for r in ratings]
        self.llm_calls += len(ask)
        llm_ratings = self.llm.rate([texts[i] for i in ask], stage)
        out = [r.model_copy(update={"source": "hybrid(rules)"}) for r in ratings]
        for i, lr in zip(ask, llm_ratings):
            rule_rating = ratings[i]
            if lr.source == "llm-error" and not self.trust_llm_failures:
                # The LLM was only a second opinion here: keep the rule score, note the failure.
                out[i] = rule_rating.model_copy(update={"source": "hybrid(rules; llm failed)", "reasons": rule_rating.reasons + lr.reasons})
                continue
            score = lr.score if self.mode == "arbitrate" else min(rule_rating.score, lr.score)
            out[i] = Rating(score=score, reasons=rule_rating.reasons + [f"llm second opinion: {lr.score}"], source="hybrid(rules+llm)", certain=True)
        return out


# =========================================================================== factory


def make_auditor(kind: Literal["rules", "llm", "hybrid"] = "rules", gateway: Any = None, *, allow_degraded: bool = False, **options: Any) -> PrivacyAuditor:
    """Build an auditor from config: "rules" (offline, default), "llm" (needs a gateway) or
    "hybrid" (rules, plus the LLM where the rules are unsure when a gateway is given). A rule or
    hybrid auditor whose NER model, gazetteer or word lists are not installed refuses to start
    (one-line ConfigError) unless `allow_degraded` (privacy.auditor.allow_degraded) says otherwise."""
    if kind == "rules":
        return RuleAuditor(**options).require_components(allow_degraded)
    if kind == "llm":
        if gateway is None:
            raise ConfigError("privacy auditor 'llm' needs an LLM gateway (configure llm.*)")
        return LLMAuditor(gateway, **options)
    if kind == "hybrid":
        mode = options.pop("mode", "uncertain")
        return HybridAuditor(RuleAuditor(**options).require_components(allow_degraded), LLMAuditor(gateway) if gateway is not None else None, mode=mode)
    raise ConfigError(f"unknown privacy auditor '{kind}' (choose rules, llm or hybrid)")
