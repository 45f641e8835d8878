"""The generation pipeline, one-way: ``service`` (create, run, execute, cancel, resume, the
batch runner) drives a ``job`` per generation; both change generation rows only through
``rows``. docs/generation-flow.md walks one generation through it."""

from ..events import ACTIVE, TERMINAL, JobEvent
from .rows import AdminAct
from .service import Generations

__all__ = ["ACTIVE", "TERMINAL", "AdminAct", "Generations", "JobEvent"]
