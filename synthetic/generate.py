"""Model calls of the generator (paper C.2.1): subcategories per category, then conversations.

Conversations are built in chunks, one round of calls per step (first user message, reply,
follow-up, reply, ...), so API backends work on a whole chunk concurrently. Every call goes
through the gateway and its response cache, and each conversation's calls depend only on its own
plan (a regeneration's fresh seed too), so a re-run with the same seed writes the same file and
makes no model calls; a killed run resumes where it stopped. The file is written once every
conversation is validated (synthetic/run.py).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from clio.hierarchy import parse_name_list
from clio.llm.backends import SamplingParams
from clio.llm.gateway import LLMGateway, LLMJob, LLMResult
from clio.llm.parsing import ParseError, extract_tag
from clio.prompts import load_prompt
from synthetic.config import SynthConfig
from synthetic.plan import ConversationPlan, fresh_seed
from synthetic.validate import check_subcategory_name

# Contact details the model may invent on its own in a conversation that should have none;
# counted in the manifest so a user knows how clean the has_pii=false side is.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"\b\d{3}[-. ]\d{4}\b")


# --------------------------------------------------------------------------- helpers


def tagged_text(result: LLMResult, tag: str) -> str:
    """The answer with its line breaks kept (the gateway's parsed value has whitespace collapsed).
    A stop sequence swallows the closing tag, so it is put back before extracting."""
    raw = result.raw if f"</{tag}>" in result.raw else result.raw + f"</{tag}>"
    try:
        text = extract_tag(raw, tag)
    except ParseError:
        text = str(result.value or "")
    return text.strip().strip('"“”«»').strip()


def transcript(messages: list[dict[str, str]]) -> str:
    return "\n\n".join(f"{'User' if m['role'] == 'user' else 'Assistant'}: {m['content']}" for m in messages)


def _params(step, seed: int, tag: str) -> SamplingParams:
    return SamplingParams(max_tokens=step.max_tokens, temperature=step.temperature, stop=(f"</{tag}>",), seed=seed)


# --------------------------------------------------------------------------- subcategories


def propose_subcategories(cfg: SynthConfig, gateway: LLMGateway) -> tuple[dict[str, list[str]], list[str]]:
    """{category: subcategories} and notes on categories where the model's list fell short.
    Names that fail the subcategory check (a list, a line break, too long) are left out and the
    model is asked again with a fresh seed, up to validation.max_regenerations times. A category
    with no usable name gets itself as its only subcategory, so generation goes on."""
    template = load_prompt(cfg.prompts.subcategories)
    wanted = cfg.subcategories_per_category
    check = "subcategory" in cfg.validation.checks
    fixed = {cat.name: list(cat.subcategories) for cat in cfg.categories if cat.subcategories}
    asked = [(i, cat) for i, cat in enumerate(cfg.categories) if not cat.subcategories]
    found: dict[str, list[str]] = {cat.name: [] for _, cat in asked}
    rejected: Counter[str] = Counter()
    errors: dict[str, str] = {}
    for attempt in range(cfg.validation.max_regenerations + 1):
        short = [(i, cat) for i, cat in asked if len(found[cat.name]) < wanted]
        if not short:
            break
        jobs = []
        for i, cat in short:
            seed = cfg.seed + i if attempt == 0 else fresh_seed(cfg.seed, "subcategories", i, attempt)
            prompt = template.render(category=cat.name, concerning=cat.concerning, n=wanted)
            jobs.append(LLMJob(prompt, _params(cfg.generation.subcategories, seed, "answer")))
        for (_, cat), result in zip(short, gateway.ask_many(jobs, stage="synthetic.subcategories", desc="subcategories")):
            if not result.ok:
                errors[cat.name] = result.error or "failed"
                continue
            # The prefill opens the list with "1.", which the raw reply keeps and the parser needs.
            for name in parse_name_list(tagged_text(result, "answer")):
                if check and not check_subcategory_name(name, cfg.validation.subcategory).ok:
                    rejected[cat.name] += 1
                elif name not in found[cat.name]:
                    found[cat.name].append(name)
    out: dict[str, list[str]] = {}
    notes: list[str] = []
    for cat in cfg.categories:
        if cat.name in fixed:
            out[cat.name] = fixed[cat.name]
            continue
        names = found[cat.name][:wanted]
        if rejected[cat.name]:
            notes.append(f"{cat.name}: {rejected[cat.name]} malformed subcategory name(s) left out")
        if not names:
            notes.append(f"{cat.name}: no subcategories ({errors.get(cat.name, 'empty list')}); using the category itself")
            names = [cat.name]
        elif len(names) < wanted:
            notes.append(f"{cat.name}: {len(names)} of {wanted} subcategories")
        out[cat.name] = names
    return out, notes


# --------------------------------------------------------------------------- conversations


@dataclass
class _Draft:
    plan: ConversationPlan
    subcategory: str
    messages: list[dict[str, str]] = field(default_factory=list)
    pii_appended: int = 0
    error: str | None = None

    def row(self) -> dict[str, Any]:
        p = self.plan
        pii = [text for _, text in p.pii]
        return {
            "id": p.id,
            "category": p.category.name,
            "subcategory": self.subcategory,
            "language": p.language,
            "expected_concern": p.category.expected_concern,
            "has_pii": bool(pii),
            "pii": pii,
            "messages": self.messages,
            "account_id": p.account_id,
            "timestamp": p.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            # How the message was varied; loaders keep it in Conversation.metadata.
            "metadata": {"length": p.length, "tone": p.tone, "pii_kinds": [kind for kind, _ in p.pii]},
        }


def _plant(draft: _Draft, message: str) -> str:
    """Make every planted detail appear verbatim: append the ones the model left out as a
    signature line, so `pii` is always true of the text."""
    missing = [text for _, text in draft.plan.pii if text not in message]
    draft.pii_appended += len(missing)
    return message + ("\n\n" + ", ".join(missing) if missing else "")


class ConversationWriter:
    """Runs the rounds of calls for one chunk of planned conversations."""

    def __init__(self, cfg: SynthConfig, gateway: LLMGateway, subcategories: dict[str, list[str]]):
        self.cfg, self.gateway, self.subcategories = cfg, gateway, subcategories
        self.user = load_prompt(cfg.prompts.user)
        self.followup = load_prompt(cfg.prompts.followup)
        self.reply = load_prompt(cfg.prompts.reply)

    def draft(self, plan: ConversationPlan) -> _Draft:
        subs = self.subcategories[plan.category.name]
        return _Draft(plan=plan, subcategory=subs[plan.subcategory_slot % len(subs)])

    def _user_job(self, d: _Draft, turn: int) -> LLMJob:
        p, g = d.plan, self.cfg.generation
        if turn == 0:
            prompt = self.user.render(
                category=p.category.name,
                subcategory=d.subcategory,
                language=p.language,
                length=self.cfg.lengths[p.length],
                tone=p.tone,
                concerning=p.category.concerning,
                details=[{"kind": k, "text": t} for k, t in p.pii],
            )
            return LLMJob(prompt, _params(g.user, p.sampling_seed, "message"), sample_index=p.index, stage="synthetic.user")
        length, tone = p.follow_up_styles[turn - 1]
        prompt = self.followup.render(
            conversation=transcript(d.messages),
            language=p.language,
            length=self.cfg.lengths[length],
            tone=tone,
            concerning=p.category.concerning,
        )
        return LLMJob(prompt, _params(g.user, p.sampling_seed + turn, "message"), sample_index=p.index, stage="synthetic.followup")

    def _reply_job(self, d: _Draft, turn: int) -> LLMJob:
        p = d.plan
        prompt = self.reply.render(conversation=transcript(d.messages), language=p.language, concerning=p.category.concerning)
        return LLMJob(prompt, _params(self.cfg.generation.reply, p.sampling_seed + turn, "reply"), sample_index=p.index, stage="synthetic.reply")

    def run(self, plans: list[ConversationPlan], on_calls=lambda n: None) -> list[_Draft]:
        drafts = [self.draft(p) for p in plans]
        for turn in range(max((p.turns for p in plans), default=0)):
            for role, make_job, tag in (("user", self._user_job, "message"), ("assistant", self._reply_job, "reply")):
                active = [d for d in drafts if d.error is None and d.plan.turns > turn]
                results = self.gateway.ask_many([make_job(d, turn) for d in active], stage=f"synthetic.{role}")
                on_calls(len(active))
                for d, result in zip(active, results):
                    text = tagged_text(result, tag) if result.ok else ""
                    if not text:
                        d.error = f"{d.plan.id} turn {turn + 1} {role}: {result.error or 'empty message'}"
                        continue
                    if role == "user" and turn == 0 and d.plan.pii:
                        text = _plant(d, text)
                    d.messages.append({"role": role, "content": text})
        return drafts


# --------------------------------------------------------------------------- whole dataset


def planned_calls(plans: list[ConversationPlan]) -> int:
    return sum(2 * p.turns for p in plans)


def unplanned_contacts(row: dict[str, Any]) -> bool:
    """A conversation without planted details that still carries an e-mail or phone-like number."""
    if row["has_pii"]:
        return False
    text = " ".join(m["content"] for m in row["messages"])
    return bool(_EMAIL.search(text) or _PHONE.search(text))


def generate(
    cfg: SynthConfig, gateway: LLMGateway, plans: list[ConversationPlan], subcategories: dict[str, list[str]], *, chunk_size: int, progress: bool = True
) -> Iterator[tuple[dict[str, Any] | None, _Draft]]:
    """Yield (row or None if it failed, draft) for every plan, in plan order, chunk by chunk."""
    writer = ConversationWriter(cfg, gateway, subcategories)
    bar = tqdm(total=planned_calls(plans), desc="synthetic conversations", unit="call", disable=not progress)
    try:
        for start in range(0, len(plans), chunk_size):
            for d in writer.run(plans[start : start + chunk_size], on_calls=bar.update):
                yield (d.row() if d.error is None else None), d
    finally:
        bar.close()


def write_jsonl(rows: Iterator[dict[str, Any]], path: Path) -> int:
    """Append rows to `<path>.partial` as they come (flushed per row), then rename it over `path`:
    the final file is either the previous one or complete, never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    n = 0
    with open(partial, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            n += 1
    os.replace(partial, path)
    return n


def distribution(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(r[key]) for r in rows).items()))
