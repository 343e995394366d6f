"""Validators of a labelled conversation: is the text true to its labels?

Each check is a small function returning a Verdict (ok, reason). They read rows in the
generator's own schema (category, subcategory, language, has_pii, pii, messages), so the same
checks run inside the generator (regenerate or drop, synthetic/run.py) and on any labelled file
(`python -m synthetic.check`).

    language     every user turn is in the labelled language (py3langid, the language facet's detector)
    request      the first user turn asks for something: it neither speaks as the assistant
                 ("How can I help you?") nor only greets (a rule, plus role exemplars in e5 space)
    topic        the user text is nearer to its own category and subcategory than to most others
                 (multilingual e5, language means removed as clio/debias.py does)
    subcategory  the subcategory name is one short phrase (no list, no line break, bounded length)
    pii          the planted private details are in the user's text verbatim, and only when has_pii

The embedding checks need the whole dataset first (`Validator.fit`): the language means, and what
is typical of each language, come from the rows themselves.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import langcodes
import numpy as np
from sklearn.preprocessing import normalize

from clio.debias import LanguageCentering, primary_language
from clio.errors import ConfigError
from clio.facets import COMPUTED_FACETS, detect_languages, language_name
from clio.records import Conversation, Message
from synthetic.config import LanguageCheck, SubcategoryCheck, Validation

Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> (n, dim) unit vectors


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""  # why it failed; empty when it passed


PASS = Verdict(True)


def fail(reason: str) -> Verdict:
    return Verdict(False, reason)


def user_turns(row: dict[str, Any]) -> list[str]:
    return [m["content"] for m in row["messages"] if m["role"] == "user"]


def _conversation(row: dict[str, Any]) -> Conversation:
    messages = [Message(role=m["role"], content=m["content"]) for m in row["messages"]]
    return Conversation(id=str(row.get("id", "row")), account_id=str(row.get("account_id", "")), messages=messages)


# --------------------------------------------------------------------------- language


# Not prose: code, links, e-mail addresses, handles. Their Latin letters say nothing of the language.
_NOT_PROSE = re.compile(r"```.*?```|`[^`\n]*`|https?://\S+|[\w.+-]+@[\w-]+\.[\w.]+|@\w+", re.DOTALL)

# Scripts that Unicode names do not spell as langcodes does (the others, e.g. Armenian, Cyrillic,
# Georgian, Devanagari, Arabic, Greek, Hebrew, Thai, match the first word of the character name).
_SCRIPT_NAMES = {
    "Hans": {"CJK"},
    "Hant": {"CJK"},
    "Hani": {"CJK"},
    "Jpan": {"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"},
    "Kore": {"HANGUL", "CJK"},
}


@cache
def _identifier():
    """py3langid's model (the one the language facet uses) with probabilities normalised, so a
    low top probability can be read as 'unsure'."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@cache
def _script_of(name: str) -> tuple[str, frozenset[str]]:
    """(script code, Unicode name prefixes of its letters) of an English language name: 'Armenian' -> ('Armn', {'ARMENIAN'})."""
    script = langcodes.find(name).maximize().script or "Latn"
    prefixes = _SCRIPT_NAMES.get(script) or {langcodes.Language.get(f"und-{script}").script_name().upper()}
    return script, frozenset(prefixes)


def _letter_script(ch: str) -> str:
    return unicodedata.name(ch, "?").split()[0]


def turn_language(text: str, label: str, cfg: LanguageCheck) -> Verdict:
    """Is one user turn in `label`? The rule:
    1. code, links and addresses are removed;
    2. a label in a non-Latin script needs at least min_script_share of the letters in its script
       (a Georgian request may quote an English error message; a Ukrainian one has no Georgian
       letters), and Latin letters are left out before identifying, so quoted code or English
       terms do not outvote the prose;
    3. py3langid's first choice must be the label, unless it is unsure (top probability below
       min_confidence, or fewer than min_letters letters): then the label only has to be among its
       top_k choices (Catalan/Spanish, Russian/Ukrainian on a short question are coin tosses).
    A turn with no letters left (only code, numbers or emoji) passes: there is nothing to judge."""
    want = language_name(label)
    if want is None:
        return fail(f"unknown language label {label!r}")
    prose = _NOT_PROSE.sub(" ", text)
    letters = [ch for ch in prose if ch.isalpha()]
    if not letters:
        return PASS
    script, prefixes = _script_of(want)
    if script != "Latn":
        share = sum(_letter_script(ch) in prefixes for ch in letters) / len(letters)
        if share < cfg.min_script_share:
            return fail(f"only {share:.0%} of the letters are in the {label} script")
        # Latin letters inside such a turn are code, product names or quoted English; other
        # scripts stay (kana is what tells Japanese from Chinese).
        prose = "".join(" " if ch.isalpha() and _letter_script(ch) == "LATIN" else ch for ch in prose)
        letters = [ch for ch in prose if ch.isalpha()]
        if not letters:
            return fail(f"no letters outside the Latin script, labelled {label}")
    ranked = _identifier().rank(prose)
    names = [language_name(code) for code, _ in ranked[: cfg.top_k]]
    top, p_top = names[0], float(ranked[0][1])
    if top == want:
        return PASS
    unsure = p_top < cfg.min_confidence or len(letters) < cfg.min_letters
    if unsure and want in names:
        return PASS
    return fail(f"reads as {top or ranked[0][0]} (p={p_top:.2f}), labelled {label}")


def check_language(row: dict[str, Any], cfg: LanguageCheck) -> Verdict:
    """Every user turn is in the labelled language (the first failing turn is named)."""
    for i, text in enumerate(user_turns(row), 1):
        verdict = turn_language(text, row["language"], cfg)
        if not verdict.ok:
            return fail(f"user turn {i} {verdict.reason}")
    return PASS


# --------------------------------------------------------------------------- request (rule)


# Phrases of an assistant offering help; English only (the generator's slips seen so far were
# English), other languages are left to the embedding check.
_OFFER = re.compile(
    r"\bhow (?:can|may|could) i (?:help|assist)\b|\bwhat can i do for you\b|\bhow can i be of (?:help|assistance|service)\b"
    r"|\bwhat do you have in mind\b|\b(?:i'?m|i am) here to help\b|\bi'?d be (?:happy|glad) to help\b"
    r"|\bis there anything (?:else )?i can (?:help|do)\b|\bfeel free to ask\b",
    re.IGNORECASE,
)
# A message that stops on a comma, colon or dash was cut before its request ("Espero que tudo
# esteja ótimo,"); a finished request ends on a full stop, question mark, letter or closing quote.
_UNFINISHED = tuple(",:;-–—、，：；")


def request_rule(text: str) -> Verdict:
    """The first user turn, by rule: not empty, not cut off before its request, not an offer of help."""
    stripped = text.strip()
    if not stripped:
        return fail("first user turn is empty")
    if stripped.endswith(_UNFINISHED):
        return fail(f"first user turn stops mid-sentence ({stripped[-1]!r}): a greeting or preamble with no request")
    offer = _OFFER.search(stripped)
    if offer:
        return fail(f"first user turn speaks as the assistant ({offer.group(0)!r})")
    return PASS


# Role exemplars for the embedding check, written here for this purpose (not taken from any
# dataset). e5 is multilingual, so English exemplars serve every language once what is typical of
# each language is subtracted (see Validator.fit).
OFFER_EXEMPLARS = [
    "Hi! How can I help you today?",
    "Hello, what can I do for you?",
    "I'm here to help. What would you like to talk about?",
    "Sure, I'd be happy to help. What do you have in mind?",
    "Good morning! I hope you are doing well.",
    "Hello there, nice to meet you!",
    "Let me know if you have any questions, I'm glad to assist.",
    "Thank you for reaching out. How may I assist you?",
]
REQUEST_EXEMPLARS = [
    "Can you help me fix this error in my code?",
    "How do I keep rice from sticking to the pot?",
    "Write a short poem about the sea for my mother's birthday.",
    "What should I check before signing a rental contract?",
    "I need a cover letter for a nursing job, can you draft one?",
    "Explain how vaccines train the immune system.",
    "My knee hurts after running, what could cause that?",
    "Which is cheaper for a week in Rome, a hotel or an apartment?",
]


# --------------------------------------------------------------------------- subcategory, pii


# "1. ", "2)" at the start or after a space, not followed by a digit (so "Python 3.12" is a phrase).
_LIST_MARKER = re.compile(r"(?:^|\s)\d{1,2}[.)](?!\d)")
_BULLET = re.compile(r"^\s*[-*•·]\s")


def check_subcategory_name(name: str, cfg: SubcategoryCheck) -> Verdict:
    """One short phrase: no line break, no numbered or bulleted list, no ';' or '|' between
    items, at most max_chars characters and max_words words."""
    name = str(name or "").strip()
    if not name:
        return fail("subcategory is empty")
    if "\n" in name or "\r" in name:
        return fail("subcategory has a line break")
    if _LIST_MARKER.search(name) or _BULLET.search(name):
        return fail("subcategory is a list, not one phrase")
    if ";" in name or "|" in name:
        return fail("subcategory joins several items with ';' or '|'")
    if len(name) > cfg.max_chars:
        return fail(f"subcategory has {len(name)} characters (max {cfg.max_chars})")
    if len(name.split()) > cfg.max_words:
        return fail(f"subcategory has {len(name.split())} words (max {cfg.max_words})")
    return PASS


def check_pii(row: dict[str, Any]) -> Verdict:
    """has_pii agrees with the pii list, and each listed detail is in the user's text verbatim.
    Missing details are named by position, not quoted (reports should not repeat them)."""
    pii = list(row.get("pii") or [])
    if not row.get("has_pii"):
        return PASS if not pii else fail(f"has_pii is false but {len(pii)} details are listed")
    if not pii:
        return fail("has_pii is true but no details are listed")
    text = "\n".join(user_turns(row))
    missing = [i for i, detail in enumerate(pii, 1) if str(detail) not in text]
    if missing:
        return fail(f"planted detail(s) {', '.join(map(str, missing))} of {len(pii)} not in the user's text")
    return PASS


# --------------------------------------------------------------------------- all of them


def allowed_rank(share: float, candidates: int) -> int:
    """The worst rank that still counts as 'nearer than to most others'."""
    return max(1, math.ceil(share * candidates))


def _rank(sims: np.ndarray, own: int) -> int:
    """1 + how many candidates are strictly nearer than the own one."""
    return int((sims > sims[own]).sum()) + 1


class Validator:
    """Runs the configured checks on rows. `fit(rows, taxonomy)` first (on the whole dataset, or
    a generator's first round): it embeds the references and learns the language means."""

    def __init__(self, cfg: Validation, embed: Embed | None = None):
        if cfg.needs_embeddings and embed is None:
            raise ConfigError("the topic and request checks need an embedding model (synthetic.validation.embedding_model)")
        self.cfg, self.embed = cfg, embed
        self.fitted = False

    @property
    def checks(self) -> list[str]:
        return list(self.cfg.checks)

    @property
    def _role_check(self) -> bool:
        return "request" in self.cfg.checks and self.cfg.request.embedding

    # -- what is embedded per row (cut as the user_text facet is, so the embedding cache is shared)
    def _user_text(self, row: dict[str, Any]) -> str:
        return COMPUTED_FACETS["user_text"](_conversation(row), None)[: self.cfg.topic.max_chars]

    def _first_turn(self, row: dict[str, Any]) -> str:
        turns = user_turns(row)
        return (turns[0] if turns else "")[: self.cfg.topic.max_chars] or " "

    @staticmethod
    def _language(row: dict[str, Any]) -> str | None:
        # The debiasing rule of clio/debias.py: a conversation's language is its primary detected one.
        return primary_language("; ".join(detect_languages(_conversation(row))))

    def _role_scores(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        """max cosine to an offer exemplar minus max cosine to a request exemplar, per row."""
        F = self.embed([self._first_turn(r) for r in rows])
        return (F @ self._offers.T).max(axis=1) - (F @ self._requests.T).max(axis=1)

    # -- fitting
    def fit(self, rows: Sequence[dict[str, Any]], taxonomy: dict[str, list[str]]) -> Validator:
        """taxonomy: {category: its subcategories}, the candidates of the topic check."""
        self.categories = list(taxonomy)
        self.subcategories = sorted({s for subs in taxonomy.values() for s in subs})
        if self.embed is None:
            self.fitted = True
        elif rows:  # with no rows there is nothing to learn the language means from: fit on the next ones
            languages = [self._language(r) for r in rows]
            if "topic" in self.cfg.checks:
                self._fit_topic(rows, languages, taxonomy)
            if self._role_check:
                self._fit_roles(rows, languages)
            self.fitted = True
        return self

    def _fit_topic(self, rows: Sequence[dict[str, Any]], languages: list[str | None], taxonomy: dict[str, list[str]]) -> None:
        X = self.embed([self._user_text(r) for r in rows])
        self.centring = LanguageCentering(self.cfg.min_count).fit(X, languages)
        S = self.embed(self.subcategories) if self.subcategories else np.zeros((0, X.shape[1]))
        index = {s: i for i, s in enumerate(self.subcategories)}
        # A category is described by its name and its subcategories (mean vector): a bare name
        # such as "Legal questions" is a thin target (measured on the shared dev benchmark: own
        # category in the top quarter for 92.5% of rows by name alone, 97.6% so described).
        names = self.embed(self.categories)
        described = [names[i] + sum((S[index[s]] for s in taxonomy[c]), np.zeros_like(names[i])) for i, c in enumerate(self.categories)]
        # Names have no language of their own: centred on the global mean, like every query.
        self._category_refs = self.centring.transform_queries(normalize(np.stack(described)))
        self._subcategory_refs = self.centring.transform_queries(S) if len(S) else S

    def _fit_roles(self, rows: Sequence[dict[str, Any]], languages: list[str | None]) -> None:
        self._offers, self._requests = self.embed(OFFER_EXEMPLARS), self.embed(REQUEST_EXEMPLARS)
        # A multilingual embedder puts all texts of one language nearer to (or further from)
        # English exemplars alike; the median score of each language is that offset. Languages
        # with fewer than min_count rows use the overall median. (A dataset whose rows of one
        # language are mostly offers would hide them; the rule part still applies.)
        scores = self._role_scores(rows)
        self._role_median_all = float(np.median(scores))
        by_language: dict[str | None, list[float]] = defaultdict(list)
        for lang, score in zip(languages, scores):
            by_language[lang].append(float(score))
        self._role_median = {lang: float(np.median(v)) for lang, v in by_language.items() if lang and len(v) >= self.cfg.min_count}

    # -- checking
    def check(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Verdict]]:
        """{check: Verdict} for every row, every configured check run (so each has its own pass rate)."""
        if not rows:
            return []
        if not self.fitted:
            raise RuntimeError("Validator.fit first (on rows)")
        languages = [self._language(r) for r in rows] if self.embed is not None else []
        roles = self._role_verdicts(rows, languages) if self._role_check else None
        topics = self._topic_verdicts(rows, languages) if "topic" in self.cfg.checks else None
        per_row: dict[str, Callable[[int, dict[str, Any]], Verdict]] = {
            "language": lambda i, r: check_language(r, self.cfg.language),
            "request": lambda i, r: self._request(r, roles[i] if roles is not None else None),
            "topic": lambda i, r: topics[i],  # type: ignore[index]
            "subcategory": lambda i, r: check_subcategory_name(r.get("subcategory", ""), self.cfg.subcategory),
            "pii": lambda i, r: check_pii(r),
        }
        return [{name: per_row[name](i, r) for name in self.cfg.checks} for i, r in enumerate(rows)]

    @staticmethod
    def _request(row: dict[str, Any], role: Verdict | None) -> Verdict:
        """The rule first; the embedding check (role) judges only turns the rule let through."""
        rule = request_rule((user_turns(row) or [""])[0])
        return rule if role is None or not rule.ok else role

    def _role_verdicts(self, rows: Sequence[dict[str, Any]], languages: list[str | None]) -> list[Verdict]:
        margin = self.cfg.request.max_offer_margin
        verdicts = []
        for score, lang in zip(self._role_scores(rows), languages):
            excess = float(score) - self._role_median.get(lang, self._role_median_all)
            verdicts.append(PASS if excess <= margin else fail(f"first user turn reads like an offer of help or a greeting (role score {excess:+.3f} > {margin})"))
        return verdicts

    def _topic_verdicts(self, rows: Sequence[dict[str, Any]], languages: list[str | None]) -> list[Verdict]:
        X = self.centring.transform(self.embed([self._user_text(r) for r in rows]), languages)
        cat_sims, sub_sims = X @ self._category_refs.T, X @ self._subcategory_refs.T
        share = self.cfg.topic.max_rank_share
        k_cat, k_sub = allowed_rank(share, len(self.categories)), allowed_rank(share, len(self.subcategories))
        cat_index = {c: i for i, c in enumerate(self.categories)}
        sub_index = {s: i for i, s in enumerate(self.subcategories)}
        verdicts = []
        for i, row in enumerate(rows):
            if row["category"] not in cat_index or row.get("subcategory") not in sub_index:
                verdicts.append(fail("category or subcategory is not in the taxonomy"))
                continue
            rank_c = _rank(cat_sims[i], cat_index[row["category"]])
            rank_s = _rank(sub_sims[i], sub_index[row["subcategory"]])
            if rank_c > k_cat:
                verdicts.append(fail(f"own category ranks {rank_c} of {len(self.categories)} (allowed {k_cat})"))
            elif rank_s > k_sub:
                verdicts.append(fail(f"own subcategory ranks {rank_s} of {len(self.subcategories)} (allowed {k_sub})"))
            else:
                verdicts.append(PASS)
        return verdicts


def default_embed(cfg: Validation, cache_dir: Path | str | None = None) -> Embed | None:
    """The validators' embedder (the configured model, disk-cached like the pipeline's), or None
    when no configured check needs one."""
    if not cfg.needs_embeddings:
        return None
    from clio.embeddings import Embedder

    return Embedder(cfg.embedding_model, cache_dir=cache_dir, show_progress=False).embed


def taxonomy_of(rows: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """{category: sorted subcategories} as found in labelled rows (categories sorted too)."""
    found: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        found[r["category"]].add(r.get("subcategory", ""))
    return {c: sorted(found[c]) for c in sorted(found)}
