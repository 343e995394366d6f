"""Facet extraction (paper B.1, G.4): per conversation, the attributes declared in config.

Kinds of facet, all declared in `conf/facets/*.yaml` so a new one needs no code:
- summary:     open-ended LLM answer in English, privacy-preserving (request, task, ...)
- categorical: short LLM answer with a few values separated by ';'
- language:    human languages of the user's turns, identified offline with py3langid by default
               (measured better than a small local model) or asked of the LLM; every value is
               normalised and validated with langcodes
- rating:      an integer on a rubric (concern 1-5)
- computed:    a statistic computed from the record (turns, lengths, ...), no model involved
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Literal

import langcodes
from pydantic import BaseModel

from clio.errors import ConfigError
from clio.llm.backends import SamplingParams
from clio.llm.gateway import LLMGateway, LLMJob, LLMResult
from clio.prompts import load_prompt
from clio.records import Conversation, ConversationFacets
from clio.transcript import Transcript, render_transcript


class FacetSpec(BaseModel):
    name: str
    kind: Literal["summary", "categorical", "language", "rating", "computed"]
    question: str = ""
    prompt: str | None = None
    prefill: str = ""
    low: int = 1
    high: int = 5
    method: Literal["langid", "llm"] = "langid"
    function: str | None = None
    max_chars: int | None = None  # computed text facets: cut to this many characters
    max_tokens: int = 100
    temperature: float = 0.2
    description: str = ""
    # summaries longer than the prompt's limit keep their whole sentences that fit (see parsing)
    overflow: Literal["reask", "cut_sentence"] = "cut_sentence"

    @property
    def uses_llm(self) -> bool:
        return self.kind in ("summary", "categorical", "rating") or (self.kind == "language" and self.method == "llm")

    def prompt_name(self) -> str:
        default = {"summary": "facet_open", "categorical": "facet_categorical", "rating": "facet_rating", "language": "facet_categorical"}
        return self.prompt or default[self.kind]


class TranscriptConfig(BaseModel):
    max_chars: int = 6000
    head_share: float = 0.5


def parse_facet_specs(raw: dict[str, dict[str, Any]]) -> list[FacetSpec]:
    specs = []
    for name, body in raw.items():
        if body is None:  # `facets.specs.NAME: null` switches a facet off (e.g. in an experiment)
            continue
        try:
            spec = FacetSpec(name=name, **dict(body))
        except Exception as exc:
            raise ConfigError(f"facet '{name}': {str(exc).splitlines()[0]} — {str(exc).splitlines()[-1].strip()}") from None
        if spec.kind == "computed" and spec.function not in COMPUTED_FACETS:
            raise ConfigError(f"facet '{name}': unknown computed function '{spec.function}' (known: {', '.join(sorted(COMPUTED_FACETS))})")
        if spec.uses_llm and not spec.question:
            raise ConfigError(f"facet '{name}': an LLM facet needs a question")
        specs.append(spec)
    return specs


# --------------------------------------------------------------------------- computed facets

ComputedFn = Callable[[Conversation, Transcript], Any]

COMPUTED_FACETS: dict[str, ComputedFn] = {
    "user_turns": lambda c, t: sum(m.role == "user" for m in c.messages),
    "total_messages": lambda c, t: len(c.messages),
    "user_chars": lambda c, t: sum(len(m.content) for m in c.messages if m.role == "user"),
    "assistant_chars": lambda c, t: sum(len(m.content) for m in c.messages if m.role == "assistant"),
    "mean_user_message_chars": lambda c, t: round(sum(len(m.content) for m in c.messages if m.role == "user") / max(1, sum(m.role == "user" for m in c.messages)), 1),
    "has_system_prompt": lambda c, t: any(m.role == "system" for m in c.messages),
    "has_tool_use": lambda c, t: any(m.tool_calls or m.role == "tool" for m in c.messages),
    "has_attachments": lambda c, t: any(m.attachments for m in c.messages),
    "transcript_truncated": lambda c, t: t.truncated,
    # The users' own words (cut to the spec's max_chars): embed-first mode and the no-LLM baseline
    # embed this instead of a summary. Raw text, so it stays in the private area like every
    # per-conversation value.
    "user_text": lambda c, t: " ".join(m.content for m in c.messages if m.role == "user"),
}


# Computed facets whose values are the users' own text: never a breakdown, like summaries.
TEXT_COMPUTED_FACETS = frozenset({"user_text"})


# --------------------------------------------------------------------------- languages

_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
# langcodes' fuzzy name search maps some of these to human languages ("JavaScript" -> Javanese).
_PROGRAMMING_LANGUAGES = {
    "javascript",
    "typescript",
    "java",
    "python",
    "c",
    "c++",
    "c#",
    "go",
    "golang",
    "rust",
    "ruby",
    "php",
    "sql",
    "html",
    "css",
    "kotlin",
    "swift",
    "r",
    "bash",
    "shell",
    "perl",
    "scala",
    "matlab",
    "lua",
    "haskell",
    "dart",
}


def language_name(value: str) -> str | None:
    """Normalise a language code or name ('es', 'spanish', 'Español') to its English name,
    or None when langcodes cannot identify a human language."""
    value = value.strip().strip(".").strip()
    if not value or value.lower() in _PROGRAMMING_LANGUAGES:
        return None
    try:
        lang = langcodes.Language.get(value) if len(value) <= 3 or "-" in value else langcodes.find(value)
        # Macrolanguages collapse ('cmn' Mandarin -> 'zh' Chinese) so code- and name-based answers agree.
        lang = langcodes.Language.get(langcodes.standardize_tag(lang.language or "und", macro=True))
    except (LookupError, ValueError):
        return None
    if not lang.is_valid() or lang.language in (None, "und", "zxx", "mul"):
        return None
    return lang.language_name("en")


def detect_languages(conv: Conversation, min_share: float = 0.2, min_chars: int = 12) -> list[str]:
    """Human languages of the user's turns, by share of characters. Code blocks are removed first
    (programming languages are not languages here, paper G.4.1)."""
    import py3langid

    weights: dict[str, int] = defaultdict(int)
    for message in conv.messages:
        if message.role != "user":
            continue
        text = _CODE_BLOCK.sub(" ", message.content).strip()
        if len(text) < min_chars:
            continue
        code, _ = py3langid.classify(text)
        weights[code] += len(text)
    if not weights:  # only very short turns: classify them together
        text = " ".join(_CODE_BLOCK.sub(" ", m.content) for m in conv.messages if m.role == "user").strip()
        if not text:
            return []
        weights[py3langid.classify(text)[0]] = len(text)
    total = sum(weights.values())
    names: list[str] = []
    for code, weight in sorted(weights.items(), key=lambda kv: -kv[1]):
        name = language_name(code)
        if name and weight / total >= min_share and name not in names:
            names.append(name)
    return names


def parse_language_answer(answer: str) -> tuple[list[str], list[str]]:
    """Split an LLM's 'Arabic; Indonesian' answer into validated names and rejected pieces."""
    valid, rejected = [], []
    for piece in re.split(r"[;,/\n]| and ", answer):
        if not piece.strip():
            continue
        name = language_name(piece)
        if name and name not in valid:
            valid.append(name)
        elif not name:
            rejected.append(piece.strip())
    return valid, rejected


# --------------------------------------------------------------------------- extraction


def render_job(spec: FacetSpec, transcript: Transcript, sample_index: int = 0) -> LLMJob:
    template = load_prompt(spec.prompt_name())
    variables: dict[str, Any] = {"transcript": transcript.text, "question": spec.question, "prefill": spec.prefill, "low": spec.low, "high": spec.high}
    prompt = template.render(**{k: v for k, v in variables.items() if k in template.variables})
    if spec.kind == "summary":
        prompt = prompt.model_copy(update={"output": prompt.output.model_copy(update={"overflow": spec.overflow})})
    params = SamplingParams(max_tokens=spec.max_tokens, temperature=spec.temperature, stop=("</answer>",) if prompt.output.kind != "tagged" else ())
    return LLMJob(prompt=prompt, params=params, sample_index=sample_index, stage=f"facets.{spec.name}")


def screen_job(question: str, transcript: Transcript) -> LLMJob:
    """The screener's call for one conversation (paper G.3); the estimator renders it too."""
    return LLMJob(load_prompt("screener").render(transcript=transcript.text, question=question), SamplingParams(max_tokens=5, temperature=0.2, stop=("</answer>",)))


def computed_value(spec: FacetSpec, conv: Conversation, transcript: Transcript) -> Any:
    """A computed facet's value (cut to the spec's max_chars when it is text)."""
    value = COMPUTED_FACETS[spec.function](conv, transcript)  # type: ignore[index]
    return value[: spec.max_chars] if spec.max_chars and isinstance(value, str) else value


def _value_from(spec: FacetSpec, result: LLMResult) -> tuple[Any, str | None]:
    if not result.ok:
        return None, result.error
    if spec.kind == "language":
        valid, rejected = parse_language_answer(str(result.value))
        if not valid:
            return None, f"no valid language in '{result.value}'"
        return valid, None
    return result.value, None


def extract_facets(
    conversations: Sequence[Conversation],
    specs: Sequence[FacetSpec],
    gateway: LLMGateway | None,
    transcript_config: TranscriptConfig | None = None,
) -> list[ConversationFacets]:
    """All facets of all conversations. LLM jobs are ordered conversation by conversation, so a
    local model reuses the transcript prefix it evaluated for the previous facet."""
    transcript_config = transcript_config or TranscriptConfig()
    llm_specs = [s for s in specs if s.uses_llm]
    if llm_specs and gateway is None:
        raise ConfigError(f"facets {', '.join(s.name for s in llm_specs)} need an LLM backend")

    rows: list[ConversationFacets] = []
    jobs: list[LLMJob] = []
    job_slots: list[tuple[int, FacetSpec]] = []
    for index, conv in enumerate(conversations):
        transcript = render_transcript(conv, max_chars=transcript_config.max_chars, head_share=transcript_config.head_share)
        row = ConversationFacets(conversation_id=conv.id, account_id=conv.account_id, timestamp=conv.timestamp)
        for spec in specs:
            if spec.kind == "computed":
                row.values[spec.name] = computed_value(spec, conv, transcript)
            elif spec.kind == "language" and spec.method == "langid":
                languages = detect_languages(conv)
                row.values[spec.name] = languages or None
                if not languages:
                    row.errors[spec.name] = "no text to identify a language from"
            else:
                jobs.append(render_job(spec, transcript))
                job_slots.append((index, spec))
        rows.append(row)

    if jobs:
        results = gateway.ask_many(jobs, stage="facets", desc="facets")  # type: ignore[union-attr]
        for (index, spec), result in zip(job_slots, results):
            value, error = _value_from(spec, result)
            rows[index].values[spec.name] = value
            if error:
                rows[index].errors[spec.name] = error
    return rows


def screen(conversations: Sequence[Conversation], question: str, gateway: LLMGateway, transcript_config: TranscriptConfig | None = None) -> tuple[list[Conversation], dict[str, str]]:
    """Screener (paper G.3): keep the conversations for which the answer is Yes. Returns the kept
    conversations and every decision ('Yes', 'No' or the error) by id."""
    transcript_config = transcript_config or TranscriptConfig()
    jobs = [screen_job(question, render_transcript(c, max_chars=transcript_config.max_chars, head_share=transcript_config.head_share)) for c in conversations]
    results = gateway.ask_many(jobs, stage="screen", desc="screen")
    decisions = {c.id: (r.value if r.ok else f"error: {r.error}") for c, r in zip(conversations, results)}
    return [c for c in conversations if decisions[c.id] == "Yes"], decisions
