"""``make mutation``: do the tests notice when a rule breaks? The table of the answer.

1. mutmut (``[tool.mutmut]`` in pyproject.toml) changes every function of the rule modules in
   small ways, one change (a *mutant*) at a time, and runs against each mutant the tests that
   reached its function in a first, recording pass. A mutant no test notices *survived*.
2. Rules kept in module-level tables are out of mutmut's reach (it changes code inside
   functions only). They are changed here instead, by hand: every entry of each table removed,
   and every entry it could have added, one at a time, with that table's tests run against each.
3. The table: per module (and per module-level table), the mutants, how many were killed
   (noticed) and how many survived, the score, and the score leaving out the survivors that
   ``equivalent.txt`` beside this file lists as equivalent (they change no behaviour: no test
   could notice them), each with its reason.

The table is printed and written to ``mutants/table.md``; every survivor not listed as
equivalent, with its change, to ``mutants/survivors.txt``. Exit status 1 when a module misses
its target or the run itself failed.

    python tests/mutation/run.py [--keep] [--max-children N] [--only-tables]

``--keep`` reuses an earlier run's ``mutants/``: mutmut tests the functions that changed, and
the mutants that survived are tried again (against the tests as they are now); by default the
run starts afresh, as from a new clone.
"""

import argparse
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "mutants"
EQUIVALENT = Path(__file__).with_name("equivalent.txt")

#: The score each module must reach, leaving out listed equivalents (docs/testing.md).
TARGETS = {
    "portal/pricing.py": 100,
    "portal/orders/states.py": 100,
    "portal/money.py": 100,
    "portal/downloads/services.py": 95,
    "portal/payments/settlement.py": 95,
    "portal/payments/refunds.py": 95,
    "portal/payments/refund_lines.py": 95,
    "portal/payments/refund_effects.py": 95,
}

# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code).
KILLED = {1, 3}  # a test failed; pytest's internal error counts as noticed too
TIMEOUT = {36, 24, -24, 152, 255}  # the tests hung or ran away: noticed
SURVIVED = {0}
NO_TESTS = {5, 33}  # no test reached the function: not noticed


# ------------------------------------------------------------------------------------------------
# The equivalence list


@dataclass(frozen=True)
class Equivalent:
    name: str
    function_hash: str  # the function as it was when the mutant was judged equivalent
    reason: str


def read_equivalents(path: Path = EQUIVALENT) -> dict[str, Equivalent]:
    """``name hash reason`` per line; ``#`` starts a comment. An entry whose function has
    changed since (another hash) no longer excuses its mutant: judge it again."""
    entries = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3:
            raise SystemExit(f"{path}:{number}: expected 'mutant-name function-hash reason'")
        name, function_hash, reason = parts
        entries[name] = Equivalent(name, function_hash, reason)
    return entries


# ------------------------------------------------------------------------------------------------
# mutmut's results


@dataclass
class Row:
    module: str
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    equivalent: int = 0
    not_checked: int = 0  # a run stopped before it reached them: out of the scores
    target: int | None = None

    @property
    def score(self) -> float:
        return 100 * self.killed / self.mutants if self.mutants else 100.0

    @property
    def score_without_equivalents(self) -> float:
        judged = self.mutants - self.equivalent
        return 100 * self.killed / judged if judged else 100.0

    @property
    def meets_target(self) -> bool:
        return not self.not_checked and (
            self.target is None or self.score_without_equivalents >= self.target
        )


@dataclass(frozen=True)
class Survivor:
    name: str
    path: str
    function_hash: str
    status: str


def mutmut_rows(equivalents: dict[str, Equivalent]) -> tuple[list[Row], list[Survivor], set[str]]:
    """A row per rule module, the survivors not excused, and the equivalence entries used."""
    rows, survivors, used = [], [], set()
    for path, target in TARGETS.items():
        meta = json.loads((MUTANTS / f"{path}.meta").read_text(encoding="utf-8"))
        hashes = meta.get("hash_by_function_name", {})
        row = Row(path, target=target)
        for name, code in sorted(meta["exit_code_by_key"].items()):
            if code is None:
                row.not_checked += 1
                continue
            row.mutants += 1
            if code in KILLED or code in TIMEOUT:
                row.killed += 1
                continue
            row.survived += 1
            function_hash = hashes.get(_function_of(name), "?")
            entry = equivalents.get(name)
            if code in SURVIVED and entry and entry.function_hash == function_hash:
                row.equivalent += 1
                used.add(name)
                continue
            status = (
                "survived"
                if code in SURVIVED
                else "no tests"
                if code in NO_TESTS
                else f"exit code {code}"
            )
            survivors.append(Survivor(name, path, function_hash, status))
        rows.append(row)
    return rows, survivors, used


def run_mutmut(max_children: int | None, names: list[str] = ()) -> None:
    command = [str(Path(sys.executable).with_name("mutmut")), "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    print("$", " ".join(command), f"({len(names)} mutants named)" if names else "", flush=True)
    # mutmut's own progress line is redrawn in place: keep it, the run is long.
    subprocess.run([*command, *names], cwd=ROOT, check=True)  # noqa: S603 (our own venv's mutmut)


def earlier_survivors(equivalents: dict[str, Equivalent]) -> list[str]:
    """The mutants an earlier run left alive and not listed as equivalent: mutmut keeps a result
    once it has one, so after a test is written they are named to be tried again (``--keep``)."""
    names = []
    for path in TARGETS:
        meta_path = MUTANTS / f"{path}.meta"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            hashes = meta.get("hash_by_function_name", {})
            names += [
                name
                for name, code in meta["exit_code_by_key"].items()
                if code in SURVIVED | NO_TESTS and not _still_equivalent(name, hashes, equivalents)
            ]
    return sorted(names)


def _function_of(name: str) -> str:
    """``x_admit`` of ``portal.downloads.services.x_admit__mutmut_3``."""
    return name.partition("__mutmut_")[0].rpartition(".")[2]


def _still_equivalent(name: str, hashes: dict, equivalents: dict[str, Equivalent]) -> bool:
    entry = equivalents.get(name)
    return entry is not None and entry.function_hash == hashes.get(_function_of(name))


def seed_equivalents(equivalents: dict[str, Equivalent]) -> int:
    """Give mutmut the listed equivalents' verdicts before it starts, so that it does not test
    them: each one runs every test that reaches its function (none fails), the dearest mutants
    of a run. mutmut keeps a verdict while its function's hash is the one it was given, so an
    entry whose function has changed since it was judged is tested like any other mutant (and
    reported again by ``mutmut_rows``). Returns how many mutants were seeded."""
    seeded = 0
    for path in TARGETS:
        module = path.removesuffix(".py").replace("/", ".") + "."
        listed = [
            e for e in equivalents.values() if e.name.startswith(module) and "__mutmut_" in e.name
        ]
        hashes: dict[str, str] = {}
        for entry in listed:  # one hash per function: the first entry's
            hashes.setdefault(_function_of(entry.name), entry.function_hash)
        codes = {e.name: 0 for e in listed if hashes[_function_of(e.name)] == e.function_hash}
        if not codes:
            continue
        meta = MUTANTS / f"{path}.meta"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(
            json.dumps(
                {
                    "exit_code_by_key": codes,
                    "hash_by_function_name": hashes,
                    "type_check_error_by_key": {},
                    "durations_by_key": {},
                    "estimated_durations_by_key": {},
                }
            ),
            encoding="utf-8",
        )
        seeded += len(codes)
    return seeded


def diff_of(survivor: Survivor) -> str:
    """The change the mutant makes, as ``mutmut show`` prints it."""
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            return get_diff_for_mutant(survivor.name, path=survivor.path)
        finally:
            os.chdir(cwd)
    except Exception as error:  # an internal of mutmut's moved: say so, keep the table
        return f"(no diff: {error})"


# ------------------------------------------------------------------------------------------------
# Module-level tables, changed by hand


@dataclass(frozen=True)
class TableMutant:
    name: str
    value: object


@dataclass(frozen=True)
class Table:
    """A table of rules kept at module level, the tests that must notice a change to it, and
    every changed version of it (one entry removed or added)."""

    label: str
    module: str
    attribute: str
    tests: tuple[str, ...]
    mutants: Callable[[object], Iterator[TableMutant]]


def _flip_pairs(table) -> Iterator[TableMutant]:
    """Each (state, next state) pair of a state table added when missing, removed when there."""
    from portal.orders.models import OrderState

    for start in OrderState:
        for to in OrderState:
            changed = {key: set(value) for key, value in table.items()}
            present = to in changed.get(start, set())
            (changed[start].discard if present else changed.setdefault(start, set()).add)(to)
            yield TableMutant(
                f"{start} → {to} {'removed' if present else 'added'}",
                {key: frozenset(value) for key, value in changed.items()},
            )


def _flip_members(universe: Callable[[], list]) -> Callable[[object], Iterator[TableMutant]]:
    """Each member of ``universe()`` added to a set when missing, removed when there."""

    def flips(members) -> Iterator[TableMutant]:
        for member in universe():
            present = member in members
            changed = set(members) - {member} if present else set(members) | {member}
            yield TableMutant(f"{member} {'removed' if present else 'added'}", frozenset(changed))

    return flips


def _order_states() -> list:
    from portal.orders.models import OrderState

    return [str(state) for state in OrderState]


def _statuses() -> list:
    return [200, 206, 302, 304, 404, 410, 412, 416]


def _stripe_events() -> list:
    return [
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refunded",
        "charge.refund.updated",
        "checkout.session.completed",
    ]


TABLES = [
    Table(
        "the state table (`states.ALLOWED`): every transition removed or added",
        "portal.orders.states",
        "ALLOWED",
        ("tests/orders/test_state_table.py",),
        _flip_pairs,
    ),
    Table(
        "`pricing.PAID_STATES`: every state removed or added",
        "portal.pricing",
        "PAID_STATES",
        ("tests/test_pricing.py", "tests/test_rule_tables.py"),
        _flip_members(_order_states),
    ),
    Table(
        "answers that send nothing (`downloads.services._SENDS_NOTHING`)",
        "portal.downloads.services",
        "_SENDS_NOTHING",
        ("tests/downloads/test_counting.py",),
        _flip_members(_statuses),
    ),
    Table(
        "refund events (`refunds.REFUND_EVENTS`)",
        "portal.payments.refunds",
        "REFUND_EVENTS",
        ("tests/test_rule_tables.py",),
        _flip_members(_stripe_events),
    ),
]


class _Changed:
    """A pytest plugin that puts a changed table in place for one run, and the real one back."""

    def __init__(self, module: str, attribute: str, value: object):
        self.module, self.attribute, self.value = module, attribute, value

    def pytest_configure(self, config):
        self.target = importlib.import_module(self.module)
        self.saved = getattr(self.target, self.attribute)
        setattr(self.target, self.attribute, self.value)

    def pytest_unconfigure(self, config):
        setattr(self.target, self.attribute, self.saved)


def _pytest(tests: tuple[str, ...], plugin) -> int:
    import pytest

    args = ["-q", "-x", "-p", "no:cacheprovider", "--no-header", "--tb=no", *tests]
    return int(pytest.main(args, plugins=[plugin]))


def table_fingerprint(value) -> str:
    """A hash of a module-level table's entries, standing in for a function's hash in
    ``equivalent.txt``: a listed change to the table excuses nothing once the table changes."""
    if isinstance(value, dict):
        entries = sorted((str(key), sorted(map(str, inner))) for key, inner in value.items())
    else:
        entries = sorted(map(str, value))
    return hashlib.sha256(repr(entries).encode()).hexdigest()[:12]


def table_mutant_name(table: Table, mutant: TableMutant) -> str:
    """The change's name in ``equivalent.txt`` (one word): ``module.TABLE:from->to:added``."""
    change = mutant.name.replace(" → ", "->").replace(" ", ":")
    return f"{table.module}.{table.attribute}:{change}"


def table_rows(
    equivalents: dict[str, Equivalent] | None = None,
) -> tuple[list[Row], list[str], set[str]]:
    """A row per module-level table, the changes no test noticed that are not listed as
    equivalent, and the equivalence entries used."""
    equivalents = equivalents or {}
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    # Each change is a test session of this one process: they share the application the first
    # builds (tests/conftest.py keeps it, as it does for mutmut's sessions).
    os.environ.setdefault("MUTANT_UNDER_TEST", "")
    importlib.import_module("portal.models")  # every feature, in the order the app loads them
    rows, survivors, used = [], [], set()
    for table in TABLES:
        module = importlib.import_module(table.module)
        real = getattr(module, table.attribute)
        fingerprint = table_fingerprint(real)
        if _pytest(table.tests, _Changed(table.module, table.attribute, real)) != 0:
            raise SystemExit(f"the tests of {table.label} fail without any change")
        row = Row(table.label, target=100)
        for mutant in table.mutants(real):
            row.mutants += 1
            code = _pytest(table.tests, _Changed(table.module, table.attribute, mutant.value))
            if code == 1:
                row.killed += 1
                continue
            row.survived += 1
            name = table_mutant_name(table, mutant)
            entry = equivalents.get(name)
            if code == 0 and entry and entry.function_hash == fingerprint:
                row.equivalent += 1
                used.add(name)
                continue
            survivors.append(f"{name} {fingerprint} (exit {code})")
        rows.append(row)
    return rows, survivors, used


# ------------------------------------------------------------------------------------------------
# The table


def markdown(rows: list[Row]) -> str:
    lines = [
        "| module | mutants | killed | survived | score | score leaving out equivalent mutants |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        listed = f" ({row.equivalent} equivalent)" if row.equivalent else ""
        name = f"`{row.module}`" if row.module.endswith(".py") else row.module
        unchecked = f" (and {row.not_checked} not checked)" if row.not_checked else ""
        lines.append(
            f"| {name} | {row.mutants}{unchecked} | {row.killed} | {row.survived}{listed}"
            f" | {row.score:.0f}%"
            f" | {row.score_without_equivalents:.0f}% |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ from an earlier run")
    parser.add_argument("--max-children", type=int, help="mutants tested at once (default: CPUs)")
    parser.add_argument(
        "--only-tables", action="store_true", help="change the module-level tables only"
    )
    options = parser.parse_args()
    started = time.monotonic()
    equivalents = read_equivalents()

    if not options.only_tables:
        survivors = earlier_survivors(equivalents) if options.keep else []
        if not options.keep:
            if MUTANTS.exists():
                shutil.rmtree(MUTANTS)
            print(f"{seed_equivalents(equivalents)} mutants listed as equivalent: not tested")
        run_mutmut(options.max_children)
        if survivors:
            run_mutmut(options.max_children, survivors)
    elif not MUTANTS.exists():
        raise SystemExit("no mutants/ yet: run without --only-tables first")
    rows, survivors, used = mutmut_rows(equivalents)
    hand_rows, hand_survivors, hand_used = table_rows(equivalents)
    used |= hand_used

    minutes = (time.monotonic() - started) / 60
    table = markdown(rows + hand_rows)
    counted = Counter(s.status for s in survivors)
    report = [
        table,
        "",
        f"Mutants that survived and are not listed as equivalent: {len(survivors)}"
        + (f" ({', '.join(f'{n} {status}' for status, n in counted.items())})" if counted else "")
        + f"; table changes no test noticed: {len(hand_survivors)}. "
        f"Took {minutes:.1f} minutes.",
    ]
    stale = sorted(set(equivalents) - used)
    if stale:
        report.append(
            f"Entries of {EQUIVALENT.relative_to(ROOT)} that excused nothing this time "
            f"(killed now, or their function changed): {', '.join(stale)}"
        )
    text = "\n".join(report)
    print("\n" + text)
    MUTANTS.mkdir(exist_ok=True)
    (MUTANTS / "table.md").write_text(text + "\n", encoding="utf-8")
    with (MUTANTS / "survivors.txt").open("w", encoding="utf-8") as out:
        for survivor in survivors:
            out.write(f"{survivor.name} {survivor.function_hash} [{survivor.status}]\n")
            out.write(diff_of(survivor) + "\n\n")
        for line in hand_survivors:
            out.write(line + "\n")
    if survivors or hand_survivors:
        print(f"Each survivor and its change: {(MUTANTS / 'survivors.txt').relative_to(ROOT)}")
    missed = [row.module for row in rows + hand_rows if not row.meets_target]
    if missed:
        print("Below target:", ", ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
