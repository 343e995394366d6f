"""Prompts are data: one YAML file per prompt in `prompts/`, with a name, a version and Jinja
templates. The content hash of the file goes into every cache key and stage fingerprint, so an
edited prompt can never silently reuse results made with the old text."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml
from pydantic import BaseModel, Field

from clio import resources
from clio.errors import ConfigError

PROMPTS_DIR = resources.PROMPTS_DIR

_INCLUDE = re.compile(r"""{%-?\s*include\s+['"]([^'"]+)['"]""")


@cache
def _environment(directory: str) -> jinja2.Environment:
    # Prompts may include shared snippets (e.g. one system prompt for every facet question, so
    # local backends reuse its cached tokens); the snippets count in the prompt's hash.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)


class OutputSpec(BaseModel):
    """What shape the reply must have; used for parsing and, on local backends, for a grammar."""

    kind: Literal["text", "integer", "choice", "tagged"] = "text"
    tag: str = "answer"
    max_chars: int = 600
    low_var: str | None = None
    high_var: str | None = None
    options: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)  # kind=tagged: several tags in order
    # Parsing only, so left out of cache keys: a reply that opens with a refusal ("I'm sorry, I
    # can't ...") is a valid answer here, e.g. a synthetic assistant declining a harmful request.
    refusal_ok: bool = Field(False, exclude=True)
    # Parsing only too: what to do with an answer longer than max_chars. `reask` shows the model
    # the error; `cut_sentence` keeps the whole sentences that fit (prose answers such as summaries,
    # where a re-ask of a small model often comes back just as long).
    overflow: Literal["reask", "cut_sentence"] = Field("reask", exclude=True)


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class PromptTemplate(BaseModel):
    name: str
    version: int
    description: str = ""
    variables: list[str] = Field(default_factory=list)
    messages: list[ChatMessage]
    prefill: str = ""
    output: OutputSpec = Field(default_factory=OutputSpec)
    # Prompt caching (providers that cache prompt prefixes, i.e. Anthropic): the first user message
    # is split right after this text, and the part before it is marked as a cached prefix shared
    # by many calls (e.g. the parent list in hierarchy_assign). The text itself is unchanged for
    # every backend; the file hash still covers this field.
    cache_split: str = ""
    content_hash: str = ""
    directory: str = str(PROMPTS_DIR)

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}#{self.content_hash[:12]}"

    def render(self, **variables: Any) -> RenderedPrompt:
        missing = [v for v in self.variables if v not in variables]
        if missing:
            raise ConfigError(f"prompt {self.name}: missing variable(s) {', '.join(missing)}")
        try:
            env = _environment(self.directory)
            messages = [ChatMessage(role=m.role, content=env.from_string(m.content).render(**variables)) for m in self.messages]
            prefill = env.from_string(self.prefill).render(**variables)
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"prompt {self.name}: {exc.message}") from None
        output = self.output
        if output.kind == "integer":
            output = output.model_copy(update={"low_var": str(variables.get(output.low_var or "", 1)), "high_var": str(variables.get(output.high_var or "", 5))})
        return RenderedPrompt(
            name=self.name,
            version=self.version,
            content_hash=self.content_hash,
            messages=messages,
            prefill=prefill,
            output=output,
            cache_split=self.cache_split,
        )


class RenderedPrompt(BaseModel):
    """A prompt with its variables filled in: exactly what a backend receives."""

    name: str
    version: int
    content_hash: str
    messages: list[ChatMessage]
    prefill: str = ""
    output: OutputSpec = Field(default_factory=OutputSpec)
    cache_split: str = ""  # see PromptTemplate.cache_split; not in cache keys (cannot change an output)

    @property
    def integer_range(self) -> tuple[int, int]:
        return int(self.output.low_var or 1), int(self.output.high_var or 5)


def _file_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def load_prompt(name: str, prompts_dir: str | None = None) -> PromptTemplate:
    """Load `prompts/<name>.yaml`. A path to a YAML file is accepted too, for experiments."""
    directory = Path(prompts_dir) if prompts_dir else PROMPTS_DIR
    path = Path(name) if name.endswith((".yaml", ".yml")) else directory / f"{name}.yaml"
    if not path.exists():
        raise ConfigError(f"prompt '{name}' not found (looked for {path})")
    text = path.read_text(encoding="utf-8")
    hashed = text
    for include in _INCLUDE.findall(text):
        snippet = path.parent / include
        if not snippet.exists():
            raise ConfigError(f"{path}: included file '{include}' not found")
        hashed += "\n--include " + include + "\n" + snippet.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        return PromptTemplate(**data, content_hash=_file_hash(hashed), directory=str(path.parent))
    except Exception as exc:  # yaml or validation error: one line naming the file
        raise ConfigError(f"{path}: invalid prompt file: {str(exc).splitlines()[0]}") from None


def available_prompts(prompts_dir: str | None = None) -> list[str]:
    directory = Path(prompts_dir) if prompts_dir else PROMPTS_DIR
    return sorted(p.stem for p in directory.glob("*.yaml"))
