"""The registry of model concerns and their constraint families (pyomo-free).

Each concern module of `optimizer.model` declares `CONCERN = Concern(...)` next to the
constraints it adds, with one `Family` per constraint family: whether it is a limit or a balance
row, whether the elastic diagnosis may relax it, the input it comes from, its unit, and the words
used to name it, to say it binds and to explain it when it makes a case infeasible. The pipeline,
the diagnosis and the report read these declarations; none of them holds per-family strings.
Concerns are found by scanning the package (a new concern is a new module, no list to edit) and
ordered from their `requires`, the way SWITCH orders modules from their `dependencies`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.inputs.case import Case
    from optimizer.model.context import ModelContext

# (size in model units, sentence): what an infeasible-case explanation returns per input row
Sentence = tuple[float, str]
Explain = Callable[["Case", str, "pd.DataFrame"], list[Sentence]]


@dataclass(frozen=True)
class Family:
    """One constraint family: what it means, where its data comes from, how to say it."""

    name: str
    kind: Literal["limit", "balance"]  # limit: users could relax it (binding.csv lists it)
    elastic: bool  # the elastic diagnosis may violate it at a penalty
    source: str  # input file and columns, e.g. "sites.csv max_wspm"
    unit: str  # domain unit of one row (its right-hand side), e.g. "wspm"
    words: str  # plain phrase naming the family in messages
    binds: str | Callable[[Any], str]  # one row as a sentence: a template of the row's keys
    infeasible: Explain | None  # explanation of violated rows; None: the generic sentence
    always_holds: bool = False  # a slack (unmet demand) always satisfies it
    concern: str = field(default="", compare=False)  # set by the Concern that declares it

    @property
    def dual_unit(self) -> str:
        """Unit of the family's shadow price in binding.csv."""
        return f"USD (NPV) per {self.unit}"

    def binding(self, row: Any) -> str:
        """The plain meaning of one row (a namedtuple of the family's index columns)."""
        if callable(self.binds):
            return self.binds(row)
        return self.binds.format(**row._asdict())


@dataclass(frozen=True)
class Concern:
    """A model module: its families, the concerns it needs, and how it adds and extracts."""

    name: str
    families: tuple[Family, ...]
    add: Callable[[ModelContext], None]
    extract: Callable[[ModelContext, Any], dict[str, pd.DataFrame]] | None = None
    requires: tuple[str, ...] = ()
    reads_all: bool = False  # placed after every other concern (risk reads all their costs)
    by_name: dict[str, Family] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        own = tuple(replace(f, concern=self.name) for f in self.families)
        object.__setattr__(self, "families", own)
        object.__setattr__(self, "by_name", {f.name: f for f in own})


class RegistryError(Exception):
    """The concerns cannot be ordered: a requirement is missing or cyclic, or a name repeats."""


@cache
def concerns() -> tuple[Concern, ...]:
    """Every concern of `optimizer.model`, each after the concerns it requires."""
    import optimizer.model as package

    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        concern = getattr(module, "CONCERN", None)
        if isinstance(concern, Concern):
            found.append(concern)
    return ordered(found)


def ordered(found: list[Concern]) -> tuple[Concern, ...]:
    """Depth-first order over `requires` (ties in the given order), `reads_all` concerns last."""
    by_name: dict[str, Concern] = {}
    for c in found:
        if c.name in by_name:
            raise RegistryError(f"two concerns are named {c.name}")
        by_name[c.name] = c
    done: list[Concern] = []
    visiting: set[str] = set()

    def visit(c: Concern) -> None:
        if c in done:
            return
        if c.name in visiting:
            raise RegistryError(f"concern {c.name} requires itself through {sorted(visiting)}")
        visiting.add(c.name)
        for need in c.requires:
            if need not in by_name:
                raise RegistryError(f"concern {c.name} requires {need}, which does not exist")
            visit(by_name[need])
        visiting.discard(c.name)
        done.append(c)

    for c in found:
        if not c.reads_all:
            visit(c)
    for c in found:
        visit(c)
    return tuple(done)


@cache
def _families() -> dict[str, Family]:
    out: dict[str, Family] = {}
    for c in concerns():
        for f in c.families:
            if f.name in out:
                raise RegistryError(f"family {f.name} is declared twice")
            out[f.name] = f
    return out


def families() -> tuple[Family, ...]:
    """Every declared family, in concern order."""
    return tuple(_families().values())


def family(name: str) -> Family:
    """The declaration of family `name` (KeyError if no concern declares it)."""
    return _families()[name]


def find(name: str) -> Family | None:
    """The declaration of family `name`, or None (e.g. a name from another version's plan)."""
    return _families().get(name)
