"""Conversation -> transcript text for the model prompts (paper G.2).

Format: one block per message, in conversation order.

    <system_prompt>
    You are a helpful assistant.
    </system_prompt>
    <user>
    What's the weather in Paris?
    <attachment type="image" name="sky.png">[image not shown]</attachment>
    </user>
    <assistant>
    <tool_call name="get_weather">{"city": "Paris"}</tool_call>
    </assistant>
    <tool_result name="get_weather">
    18°C, cloudy
    </tool_result>

Attachments with text show an excerpt of it; binary ones (images, audio) only a placeholder.
Message text that looks like one of these tags gets its '<' written as '&lt;', so a user cannot
fake a turn; attribute values are escaped.

Truncation rule (the prompt must stay within a budget, and the start and end of a conversation
say most about it):
  1. Each piece of message text (content, tool-call arguments) longer than max_chars is cut first
     as in step 2, so a single 1 MB message cannot crowd out every other turn.
  2. If the rendered transcript is longer than max_chars, keep its first head_share and its last
     (1 - head_share) of the budget, where budget = max_chars minus the marker's length; each cut
     moves to a nearby whitespace (within 10% of its part) when there is one; the marker
     "[... N characters omitted ...]" goes between the two parts. The result never exceeds max_chars.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from clio.errors import ConfigError
from clio.records import Conversation, Message

MIN_MAX_CHARS = 100  # room for the marker plus some text on both sides
ATTACHMENT_EXCERPT_CHARS = 300
_SNAP_SHARE = 0.1  # how far (share of each part) a cut may move to land on whitespace

_ROLE_TAGS = {"system": "system_prompt", "user": "user", "assistant": "assistant", "tool": "tool_result"}
_OWN_TAG = re.compile(r"<(?=\s*/?\s*(?:system_prompt|user|assistant|tool_call|tool_result|attachment)\b)", re.I)


@dataclass(frozen=True)
class Transcript:
    text: str
    truncated: bool
    original_chars: int  # length of the rendering had nothing been cut
    omitted_chars: int  # characters left out, by both truncation steps


def render_transcript(conv: Conversation, *, max_chars: int = 12000, head_share: float = 0.5) -> Transcript:
    if max_chars < MIN_MAX_CHARS:
        raise ConfigError(f"transcript max_chars must be at least {MIN_MAX_CHARS}, got {max_chars}")
    if not 0.0 <= head_share <= 1.0:
        raise ConfigError(f"transcript head_share must be between 0 and 1, got {head_share}")
    full = _Renderer(None, head_share).render(conv)
    renderer = _Renderer(max_chars, head_share)
    capped = renderer.render(conv)
    text, omitted = cut_middle(capped, max_chars, head_share)
    total_omitted = renderer.omitted + omitted
    return Transcript(text=text, truncated=total_omitted > 0, original_chars=len(full), omitted_chars=total_omitted)


def cut_middle(text: str, max_chars: int, head_share: float = 0.5) -> tuple[str, int]:
    """(text cut to at most max_chars by keeping head and tail around a marker, characters omitted)."""
    if len(text) <= max_chars:
        return text, 0
    budget = max_chars - len(_marker(len(text)))  # the real marker is never longer than this one
    if budget <= 0:
        raise ConfigError(f"max_chars {max_chars} leaves no room for the truncation marker")
    head_len = int(budget * head_share)
    tail_len = budget - head_len
    head_end = _snap_back(text, head_len, int(head_len * _SNAP_SHARE))
    tail_start = _snap_forward(text, len(text) - tail_len, int(tail_len * _SNAP_SHARE))
    omitted = tail_start - head_end
    return text[:head_end] + _marker(omitted) + text[tail_start:], omitted


def _marker(omitted: int) -> str:
    return f"\n[... {omitted} characters omitted ...]\n"


def _snap_back(text: str, end: int, slack: int) -> int:
    """Move a head cut back onto whitespace if one lies within `slack` characters."""
    for i in range(end - 1, max(end - 1 - slack, -1), -1):
        if text[i].isspace():
            return i
    return end


def _snap_forward(text: str, start: int, slack: int) -> int:
    """Move a tail cut forward past whitespace if one lies within `slack` characters."""
    for i in range(start, min(start + slack, len(text))):
        if text[i].isspace():
            return i + 1
    return start


class _Renderer:
    """Renders messages, cutting each piece of text to `limit` (None: no cut) and counting what
    was cut."""

    def __init__(self, limit: int | None, head_share: float):
        self.limit, self.head_share, self.omitted = limit, head_share, 0

    def render(self, conv: Conversation) -> str:
        return "\n".join(self._message(m) for m in conv.messages)

    def _message(self, message: Message) -> str:
        tag = _ROLE_TAGS[message.role]
        attrs = _attrs(name=message.name) if message.role == "tool" else ""
        parts = [self._text(message.content)] if message.content else []
        parts += [self._tool_call(call) for call in message.tool_calls]
        parts += [_attachment(a) for a in message.attachments]
        body = "\n".join(parts)
        return f"<{tag}{attrs}>\n{body}\n</{tag}>"

    def _tool_call(self, call: dict[str, Any]) -> str:
        arguments = call.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False, default=str)
        return f"<tool_call{_attrs(name=call.get('name'))}>{self._text(arguments)}</tool_call>"

    def _text(self, text: str) -> str:
        text = neutralise_tags(text)
        if self.limit is None:
            return text
        text, omitted = cut_middle(text, self.limit, self.head_share)
        self.omitted += omitted
        return text


def _attachment(attachment: dict[str, Any]) -> str:
    kind = str(attachment.get("type") or "file")
    text = attachment.get("text")
    if isinstance(text, str) and text.strip():
        excerpt = text[:ATTACHMENT_EXCERPT_CHARS] + ("…" if len(text) > ATTACHMENT_EXCERPT_CHARS else "")
        body = neutralise_tags(excerpt)
    else:
        body = f"[{kind} not shown]"
    return f"<attachment{_attrs(type=kind, name=attachment.get('name'))}>{body}</attachment>"


def _attrs(**values: Any) -> str:
    return "".join(f' {key}="{html.escape(str(value), quote=True)}"' for key, value in values.items() if value)


def neutralise_tags(text: str) -> str:
    """Write '<' as '&lt;' where message text imitates one of the transcript's own tags."""
    return _OWN_TAG.sub("&lt;", text)
