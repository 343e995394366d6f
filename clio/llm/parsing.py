"""Reading tagged answers out of model replies.

Replies are usually the continuation of a prefill such as `<answer>The user's request is to`, so
the parser first glues prefill and reply together, then looks for the tag. Anything that cannot be
read raises ParseError, whose message is shown to the model when the gateway re-asks.
"""

from __future__ import annotations

import re

from clio.prompts import OutputSpec


class ParseError(ValueError):
    """The reply does not have the required shape; the message says what was expected."""


REFUSAL_PATTERNS = re.compile(r"^\s*(i'?m sorry|i am sorry|i cannot|i can'?t|as an ai)\b", re.IGNORECASE)
_LEADING_TAGS = re.compile(r"^(?:\s*</?[a-zA-Z_]+>)+")


def is_refusal(reply: str) -> bool:
    """A reply that opens with a refusal. After a prefill such as `<answer>The user's request is
    to`, an unclosed tag still parses, so without this check "I'm sorry, I can't help" would
    become a summary; rejecting it makes the gateway re-ask and, if it persists, record a failure."""
    return bool(REFUSAL_PATTERNS.match(_LEADING_TAGS.sub("", reply.replace("\u2019", "'"))))


def extract_tag(text: str, tag: str) -> str:
    """Content of the first <tag>...</tag>. An unclosed tag at the end (max_tokens hit, or a stop
    sequence that swallowed the closing tag) still counts: we take what follows the opening tag."""
    match = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL | re.IGNORECASE)
    if match:
        return match.group(1).strip()
    opening = re.search(rf"<{tag}>", text, re.IGNORECASE)
    if opening:
        rest = text[opening.end() :]
        # another tag starting means the answer ended there
        rest = re.split(r"</?[a-zA-Z_]+>", rest, maxsplit=1)[0]
        if rest.strip():
            return rest.strip()
    raise ParseError(f"no <{tag}> tag in the reply; put the answer inside <{tag}></{tag}>")


_UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def cut_at_sentence(value: str, max_chars: int) -> str | None:
    """The longest run of whole sentences that fits in max_chars, or None when the first sentence
    alone is too long (or would keep less than a quarter of the room: too little to be an answer)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(value, 0, max_chars + 1) if m.end() <= max_chars]
    if not ends or ends[-1] < max_chars // 4:
        return None
    return value[: ends[-1]].strip()


def _clean_text(value: str, max_chars: int, overflow: str = "reask") -> str:
    value = re.sub(r"\s+", " ", value).strip().strip('"').strip()
    if not value:
        raise ParseError("the answer is empty")
    if _UNREADABLE.search(value):  # binary junk or a broken decode, not an answer
        raise ParseError("the answer contains control or replacement characters; write plain text")
    if len(value) > max_chars:
        cut = cut_at_sentence(value, max_chars) if overflow == "cut_sentence" else None
        if cut is None:
            raise ParseError(f"the answer is too long ({len(value)} characters); keep it under {max_chars}")
        value = cut
    return value


def parse_reply(prefill: str, reply: str, spec: OutputSpec, integer_range: tuple[int, int] = (1, 5)) -> str | int | dict[str, str]:
    """Parse one reply according to the prompt's output spec."""
    if not spec.refusal_ok and is_refusal(reply):  # refusal_ok: a refusal is the answer (synthetic replies)
        raise ParseError("the reply is a refusal; answer the question as asked")
    full = prefill + reply
    if spec.kind == "tagged":
        return {tag: _clean_text(extract_tag(full, tag), spec.max_chars, spec.overflow) for tag in spec.tags}
    content = extract_tag(full, spec.tag)
    if spec.kind == "text":
        prefilled = prefill.split(f"<{spec.tag}>", 1)[-1].strip()
        if prefilled and content.strip() == prefilled:  # the model added nothing to the prefill
            raise ParseError("the answer is empty")
        return _clean_text(content, spec.max_chars, spec.overflow)
    if spec.kind == "integer":
        low, high = integer_range
        numbers = re.findall(r"-?\d+", content)
        if not numbers:
            raise ParseError(f"expected one whole number from {low} to {high}")
        value = int(numbers[0])
        if not low <= value <= high:
            raise ParseError(f"{value} is outside the scale {low} to {high}")
        return value
    if spec.kind == "choice":
        for option in spec.options:
            if content.strip().lower().rstrip(".") == option.lower():
                return option
        raise ParseError(f"expected exactly one of: {', '.join(spec.options)}")
    raise ParseError(f"unknown output kind {spec.kind}")
