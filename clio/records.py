"""Typed records passed between stages.

Every stage takes and returns these; nothing else crosses a stage boundary.
Ids are stable: a conversation without an id gets one derived from its content,
so re-loading the same file yields the same ids.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One turn. Tool calls and attachments are kept as structured extras so the
    transcript builder can render them in a stated way instead of dropping them."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str
    name: str | None = None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    attachments: list[dict[str, Any]] = Field(default_factory=list)


class Conversation(BaseModel):
    id: str
    account_id: str
    timestamp: datetime | None = None
    messages: list[Message]
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("messages")
    @classmethod
    def _has_messages(cls, messages: list[Message]) -> list[Message]:
        if not messages:
            raise ValueError("conversation has no messages")
        return messages

    @property
    def user_turns(self) -> int:
        return sum(1 for m in self.messages if m.role == "user")


def stable_id(*parts: Any, prefix: str = "", length: int = 16) -> str:
    """A short content hash: the same inputs always give the same id."""
    payload = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return prefix + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:length]


def content_id(messages: list[Message]) -> str:
    return stable_id([(m.role, m.content) for m in messages], prefix="c_")


class LLMUsage(BaseModel):
    """Tokens and cost of model calls, summed per stage."""

    calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0  # prompt tokens read from a provider's prompt cache (part of input_tokens)
    cache_write_tokens: int = 0  # prompt tokens written to it (part of input_tokens)
    batch_calls: int = 0  # calls answered by a Message Batch (part of calls; billed at the batch discount)
    batch_fallbacks: int = 0  # batch items without a reply (errored, expired, canceled), asked online
    cost_usd: float = 0.0
    failures: int = 0
    reasks: int = 0
    retries: int = 0  # transient errors retried (timeouts, 429, 5xx)
    retried_items: int = 0  # asks that needed a retry or a re-ask, whatever their outcome
    seconds: float = 0.0

    def add(self, other: LLMUsage) -> LLMUsage:
        for field in type(self).model_fields:
            setattr(self, field, getattr(self, field) + getattr(other, field))
        return self


class FacetValue(BaseModel):
    """One facet of one conversation. `value` is None when extraction failed; the
    failure reason is kept so nothing is silently dropped."""

    conversation_id: str
    facet: str
    value: str | int | float | list[str] | None
    kind: Literal["summary", "categorical", "numeric", "computed"]
    error: str | None = None


class ConversationFacets(BaseModel):
    """All facets of one conversation, as a flat row for the Parquet output."""

    conversation_id: str
    account_id: str
    timestamp: datetime | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)
