"""How the per-conversation stages (facets, embeddings) run: in this process or on Ray Data.

    executor = make_executor(cfg.executor)          # conf/executor/{local,ray}.yaml
    outputs, stats = executor.map(work, items)      # outputs[i] is work's output for items[i]

`local` (the default) calls the stage's work once on all items in this process, exactly as the
stage did before executors existed. `ray` splits the items into batches and runs them on a pool
of Ray Data actors (`map_batches` with a callable class); each actor sets its work up once
(builds its own LLM gateway or embedding model from config, lazily: a loaded model is never
pickled) and results come back in input order.

The executor is *how*, not *what*: it is in no stage fingerprint, so a run done on Ray is reused
by a local rerun and the other way round. LLM usage counted in the workers is added back into
the driver's gateway, so the manifest's per-stage accounting is the same either way.

A unit of work is a `Work`: attributes named in `driver_only` (a built gateway, a loaded model)
are dropped when it is pickled for a worker, and `setup()` rebuilds them there.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clio.errors import ClioError, ConfigError

KINDS = ("local", "ray")


class ExecutorConfig(BaseModel):
    """`executor` config group. Options other than `kind` only matter for Ray."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "ray"] = "local"
    address: str | None = None  # null: start a local Ray instance; "auto" / "ray://host:10001": join a cluster
    num_cpus: int | None = Field(default=None, ge=1)  # CPUs of a local instance (null: all)
    workers: int | None = Field(default=None, ge=1)  # actors per stage (null: CPUs / cpus_per_worker)
    cpus_per_worker: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=16, ge=1)  # items (conversations or texts) per batch sent to an actor
    job_size: int = Field(default=65536, ge=1)  # items per Ray Data job where a stage writes chunk by chunk (embeddings)
    num_blocks: int | None = Field(default=None, ge=1)  # input blocks (null: one per batch)
    show_progress: bool = False  # Ray Data's progress bars


def executor_config(node: Any) -> ExecutorConfig:
    """Validate the `executor` node; problems are one-line ConfigErrors."""
    from omegaconf import DictConfig, OmegaConf

    raw = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node or {})
    kind = raw.get("kind", "local")
    if kind not in KINDS:
        raise ConfigError(f"unknown executor '{kind}' (choose one of: {', '.join(KINDS)})")
    try:
        return ExecutorConfig(**raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"executor.{where}: {first['msg']} (got {first.get('input')!r})") from None


def make_executor(node: Any) -> Executor:
    cfg = executor_config(node)
    return RayExecutor(cfg) if cfg.kind == "ray" else LocalExecutor(cfg)


# --------------------------------------------------------------------------- work units


class Work:
    """A stage's function over a list of items: `work(items) -> (outputs, stats)`, one output per
    item in order, and stats of this call (summed by the caller). `setup()` runs once per worker
    before the first call; attributes in `driver_only` are not shipped to workers."""

    driver_only: tuple[str, ...] = ()
    remote: bool = False  # True in a copy unpickled on a worker

    def setup(self) -> None:
        pass

    def __call__(self, items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in self.driver_only:
            state[name] = None
        state["remote"] = True
        return state


class FacetsWork(Work):
    """Facets of a chunk of conversations (clio.facets.extract_facets). On the driver it uses the
    driver's gateway; a worker builds its own with `build_gateway(gateway_cfg)` and reports the
    usage of each chunk as stats["usage"] ({stage: LLMUsage}), for the driver to add up."""

    driver_only = ("gateway",)

    def __init__(self, specs: list[Any], transcript: Any, gateway: Any = None, build_gateway: Callable[[Any], Any] | None = None, gateway_cfg: dict[str, Any] | None = None):
        self.specs, self.transcript = specs, transcript
        self.gateway, self.build_gateway, self.gateway_cfg = gateway, build_gateway, gateway_cfg
        self.needs_llm = any(s.uses_llm for s in specs)

    def setup(self) -> None:
        if self.needs_llm and self.gateway is None:
            from omegaconf import OmegaConf

            if self.build_gateway is None:
                raise ConfigError("facets: a worker needs a way to build its LLM gateway")
            self.gateway = self.build_gateway(OmegaConf.create(self.gateway_cfg))

    def __call__(self, conversations: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        from clio.facets import extract_facets

        if self.remote and self.gateway is not None:
            self.gateway.usage = {}  # this worker's gateway: count this chunk only
        rows = extract_facets(conversations, self.specs, self.gateway, self.transcript)
        usage = dict(self.gateway.usage) if self.remote and self.gateway is not None else {}
        return rows, {"usage": usage}


class EmbedWork(Work):
    """Vectors of a chunk of texts (clio.embeddings.Embedder, with its shared on-disk cache)."""

    driver_only = ("embedder",)

    def __init__(self, model: str, batch_size: int, cache_dir: str, embedder: Any = None):
        self.model, self.batch_size, self.cache_dir, self.embedder = model, batch_size, cache_dir, embedder

    def setup(self) -> None:
        if self.embedder is None:
            from clio.embeddings import Embedder

            self.embedder = Embedder(self.model, batch_size=self.batch_size, cache_dir=self.cache_dir, show_progress=False)

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
        vectors = self.embedder.embed(texts)  # (n, dim) float32: its rows are the outputs
        return vectors, {"computed": self.embedder.last.computed, "cached": self.embedder.last.cached}


def add_usage(gateway: Any, stats: Sequence[dict[str, Any]]) -> None:
    """Add the usage the workers counted (FacetsWork stats) into the driver's gateway."""
    for chunk in stats:
        for stage, usage in chunk.get("usage", {}).items():
            gateway.account(stage, **usage.model_dump())


# --------------------------------------------------------------------------- executors


class Executor:
    kind = "local"

    def __init__(self, cfg: ExecutorConfig | None = None):
        self.cfg = cfg or ExecutorConfig()

    def map(self, work: Work, items: Sequence[Any]) -> tuple[Sequence[Any], list[dict[str, Any]]]:
        """(outputs, stats): outputs[i] for items[i], and each chunk's stats in input order."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def job_size(self, default: int) -> int:
        """Items per call of `map` for a stage that writes its output chunk by chunk."""
        return default

    def map_array(self, work: Work, items: Sequence[Any], stats: list[dict[str, Any]]) -> np.ndarray:
        """`map` for work whose outputs are array rows (embeddings): one (n, ...) array; the
        chunks' stats are appended to `stats`."""
        outputs, chunk_stats = self.map(work, items)
        stats.extend(chunk_stats)
        return outputs if isinstance(outputs, np.ndarray) else np.stack(outputs)


class LocalExecutor(Executor):
    """In this process, all items in one call: the stage's own concurrency (the gateway's thread
    pool, the embedder's batches) applies unchanged."""

    def map(self, work: Work, items: Sequence[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
        work.setup()
        outputs, stats = work(list(items))
        return outputs, [stats]


class RayExecutor(Executor):
    """Ray Data: items in batches of `batch_size` over a pool of actors, each set up once."""

    kind = "ray"

    def __init__(self, cfg: ExecutorConfig):
        super().__init__(cfg)
        self.workers_used: int | None = None

    def _ray(self) -> Any:
        try:
            import ray
            import ray.data
        except ImportError as exc:
            raise ConfigError(f"executor=ray needs Ray Data ({exc}): pip install -e '.[ray]'") from None
        if not ray.is_initialized():
            if self.cfg.address:
                ray.init(address=self.cfg.address, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(num_cpus=self.cfg.num_cpus, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = self.cfg.show_progress
        return ray

    def map(self, work: Work, items: Sequence[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
        items = list(items)
        if not items:  # nothing to distribute: no cluster start for an empty stage
            return LocalExecutor(self.cfg).map(work, items)
        ray = self._ray()
        c = self.cfg
        batches = math.ceil(len(items) / c.batch_size)
        cpus = ray.cluster_resources().get("CPU", 1.0)
        workers = max(1, min(c.workers or int(cpus // c.cpus_per_worker), batches))
        self.workers_used = workers
        # Items travel pickled (one binary column): Arrow's type inference over nested,
        # heterogeneous records (metadata dicts, optional fields) would not round-trip exactly.
        ds = ray.data.from_items([{"i": i, "x": pickle.dumps(x)} for i, x in enumerate(items)], override_num_blocks=c.num_blocks or batches)
        out = ds.map_batches(
            _BatchRunner,
            fn_constructor_args=(work,),
            batch_size=c.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=c.cpus_per_worker,
        )
        results: list[Any] = [None] * len(items)
        filled = [False] * len(items)
        chunks: list[tuple[int, dict[str, Any]]] = []
        for row in out.iter_rows():
            indices, outputs, stats = pickle.loads(row["payload"])
            for i, output in zip(indices, outputs, strict=True):
                results[i], filled[i] = output, True
            chunks.append((min(indices), stats))
        if not all(filled):
            raise ClioError(f"executor=ray: {filled.count(False)} of {len(items)} items came back without a result")
        return results, [stats for _, stats in sorted(chunks, key=lambda c: c[0])]

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers_used, "batch_size": self.cfg.batch_size}

    def job_size(self, default: int) -> int:
        return self.cfg.job_size  # each job starts its actors (and loads their models) once


class _BatchRunner:
    """The callable class Ray Data instantiates once per actor: the work's setup happens here."""

    def __init__(self, work: Work):
        self.work = work
        self.work.setup()

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[bytes]]:
        indices = [int(i) for i in batch["i"]]
        items = [pickle.loads(x) for x in batch["x"]]
        outputs, stats = self.work(items)
        if len(outputs) != len(items):
            raise ClioError(f"{type(self.work).__name__} returned {len(outputs)} outputs for {len(items)} items")
        # One row per batch: the outputs with their input positions, and the batch's stats.
        return {"payload": [pickle.dumps((indices, list(outputs), stats))]}
