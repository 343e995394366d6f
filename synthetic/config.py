"""The generator's settings, checked once: every mistake becomes a one-line ConfigError."""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any, Literal, get_args

import langcodes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clio.errors import ConfigError

PAPER_LANGUAGES = [
    "English",
    "Ukrainian",
    "Spanish",
    "Japanese",
    "Mandarin Chinese",
    "French",
    "Russian",
    "Hindi",
    "Portuguese",
    "Catalan",
    "Armenian",
    "Arabic",
    "Afrikaans",
    "Turkish",
    "Georgian",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not silently ignored


class Category(_Strict):
    name: str
    weight: float = Field(1.0, gt=0)
    concerning: bool = False
    concern: int | None = Field(None, ge=1, le=5)  # expected concern; default from `concerning`
    subcategories: list[str] | None = None  # fixed ones skip the model call

    @property
    def expected_concern(self) -> int:
        return self.concern if self.concern is not None else (3 if self.concerning else 1)


class Step(_Strict):
    max_tokens: int = Field(300, gt=0)
    temperature: float = Field(0.8, ge=0)


class Generation(_Strict):
    subcategories: Step = Step(max_tokens=200, temperature=0.8)
    user: Step = Step(max_tokens=250, temperature=0.9)
    reply: Step = Step(max_tokens=350, temperature=0.7)


class Prompts(_Strict):
    subcategories: str = "synth_subcategories"
    user: str = "synth_user_prompt"
    followup: str = "synth_user_followup"
    reply: str = "synth_assistant_reply"


class Accounts(_Strict):
    pool_size: int | None = Field(None, gt=0)
    zipf_s: float = Field(0.8, ge=0)


class Window(_Strict):
    start: datetime = datetime(2026, 10, 1, tzinfo=UTC)
    end: datetime = datetime(2026, 10, 29, tzinfo=UTC)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("window.end must be after window.start")
        return self


Check = Literal["language", "request", "topic", "subcategory", "pii"]
CHECKS: tuple[str, ...] = get_args(Check)  # the validators (synthetic/validate.py), in report order


class LanguageCheck(_Strict):
    # py3langid's normalised probability below which (or a turn shorter than min_letters) the
    # detector is unsure; then the label passes if it is among the top_k candidates.
    min_confidence: float = Field(0.7, gt=0, le=1)
    top_k: int = Field(2, ge=1)
    min_letters: int = Field(20, ge=0)
    # For a label in a non-Latin script: the share of the turn's letters that must be in it
    # (code, product names and quoted English are common inside such requests).
    min_script_share: float = Field(0.15, ge=0, le=1)


class RequestCheck(_Strict):
    embedding: bool = True  # besides the rule, compare the first turn with role exemplars (e5)
    # Fail when the turn is this much nearer to the offer/greeting exemplars than to the request
    # ones, beyond what is typical for its language in the same dataset.
    max_offer_margin: float = 0.05


class TopicCheck(_Strict):
    # Own category (and own subcategory) must rank within this share of all candidates, by cosine
    # to the user text: 0.25 = nearer to it than to three quarters of the others.
    max_rank_share: float = Field(0.25, gt=0, le=1)
    max_chars: int = Field(500, gt=0)  # user text cut as the user_text facet's (shares its embedding cache)


class SubcategoryCheck(_Strict):
    max_chars: int = Field(100, gt=0)
    max_words: int = Field(16, gt=0)


class Validation(_Strict):
    """Validators run on every generated conversation (synthetic/validate.py)."""

    checks: list[Check] = Field(default_factory=lambda: list(CHECKS))
    max_regenerations: int = Field(2, ge=0)  # per conversation, each with a fresh seed; then dropped
    embedding_model: str = "multilingual-e5-small"
    min_count: int = Field(5, ge=1)  # languages with fewer rows use the global mean (clio/debias.py)
    language: LanguageCheck = LanguageCheck()
    request: RequestCheck = RequestCheck()
    topic: TopicCheck = TopicCheck()
    subcategory: SubcategoryCheck = SubcategoryCheck()

    @field_validator("checks")
    @classmethod
    def _once_each(cls, checks: list[str]) -> list[str]:
        if len(set(checks)) != len(checks):
            raise ValueError("a check is listed twice")
        return checks

    @property
    def needs_embeddings(self) -> bool:
        return "topic" in self.checks or ("request" in self.checks and self.request.embedding)


class SynthConfig(_Strict):
    name: str = "synthetic"
    n: int = Field(240, gt=0)
    seed: int = 0
    output: str = "synthetic.jsonl"
    chunk_size: int | None = Field(None, gt=0)  # None: 4 x the backend's concurrency
    categories: list[Category] = Field(min_length=1)
    subcategories_per_category: int = Field(3, gt=0)
    languages: list[str] = Field(default_factory=lambda: list(PAPER_LANGUAGES), min_length=1)
    language_weights: list[float] | None = None
    pii_rate: float = Field(0.125, ge=0, le=1)
    turn_weights: list[float] = Field(default_factory=lambda: [0.70, 0.25, 0.05], min_length=1)
    lengths: dict[str, str] = Field(default_factory=lambda: {"short": "one short sentence", "medium": "two to four sentences"}, min_length=1)
    tones: list[str] = Field(default_factory=lambda: ["casual", "formal"], min_length=1)
    accounts: Accounts = Accounts()
    window: Window = Window()
    prompts: Prompts = Prompts()
    generation: Generation = Generation()
    validation: Validation = Validation()

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, names: list[str]) -> list[str]:
        for name in names:
            try:
                langcodes.find(name)
            except LookupError:
                raise ValueError(f"unknown language name {name!r} (use English names such as 'Mandarin Chinese')") from None
        if len(set(names)) != len(names):
            raise ValueError("a language is listed twice")
        return names

    @model_validator(mode="after")
    def _consistent(self) -> SynthConfig:
        if self.language_weights is not None:
            if len(self.language_weights) != len(self.languages):
                raise ValueError(f"language_weights has {len(self.language_weights)} entries for {len(self.languages)} languages")
            if any(w < 0 for w in self.language_weights) or sum(self.language_weights) <= 0:
                raise ValueError("language_weights must be non-negative with a positive sum")
        if any(w < 0 for w in self.turn_weights) or sum(self.turn_weights) <= 0:
            raise ValueError("turn_weights must be non-negative with a positive sum")
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError("a category is listed twice")
        return self


def parse_config(raw: dict[str, Any]) -> SynthConfig:
    """A SynthConfig from the `synthetic` config node, or one ConfigError line saying what is wrong."""
    return _parse(SynthConfig, raw, "synthetic")


def parse_validation(raw: dict[str, Any] | None) -> Validation:
    """The validators' settings alone (`python -m synthetic.check`)."""
    return _parse(Validation, raw or {}, "synthetic.validation")


def _parse(model: type[BaseModel], raw: dict[str, Any], prefix: str):
    try:
        return model(**raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{prefix}.{where}: {message}" if where else f"{prefix}: {message}") from None
