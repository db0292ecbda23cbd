"""make mutation: mutmut over the modules the suite must pin down, one module at a time,
against the fast unit and contract tests ([tool.mutmut] in pyproject.toml), then the killed
share per module and the surviving mutants (docs/testing.md).

    python scripts/mutation.py                       # every module, every mutant
    python scripts/mutation.py --every 4 query/reader.py   # a quarter of one module's mutants
    python scripts/mutation.py --sample 60 --seed 16 query/reader.py   # 60 drawn at random
    python scripts/mutation.py --report              # only the table of what was measured

A mutant counts as killed when a test failed, timed out (the mutant made the code hang) or
the type checker refused it. Results stay in mutants/ between runs; mutmut re-checks the
mutants of a module whose source changed.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
KILLED |= {37: "type check", -11: "segfault", -9: "segfault"}
UNCHECKED = {None, 2, 34}  # not run, interrupted, skipped; "no tests" (5, 33) counts as a survivor
# the trajectory's own tests: its reading rules and details on traces built span by span,
# the conventions and content shapes read into it, and the pure helpers of its passes
TRAJECTORY_TESTS = (
    "tests/unit/test_trajectory_rules.py",
    "tests/unit/test_trajectory_details.py",
    "tests/unit/test_trajectory_agents.py",
    "tests/unit/test_trajectory_fallbacks.py",
    "tests/unit/test_tree.py",
    "tests/unit/test_content_around_calls.py",
    "tests/unit/test_conventions.py",
    "tests/unit/test_content_shapes.py",
    "tests/unit/test_spans.py",
    "tests/unit/test_transcript.py",
)
# The tests each module's mutants run (of those mutmut saw reach the mutated function): the
# module's own fast tests. Without this every store test would run for each writer mutant.
OWN_TESTS = {
    "store/writer.py": ("tests/unit/test_writer.py",),
    # the schema's own tests on a bare DuckDB file, and the store's tests of each migration
    "store/schema.py": (
        "tests/contract/test_schema.py",
        "tests/contract/test_store.py::test_a_version_",
        "tests/contract/test_store.py::test_a_newer_schema",
        "tests/contract/test_store.py::test_a_foreign_duckdb",
        "tests/contract/test_sessions.py::test_a_version_",
    ),
    "ingest/compression.py": ("tests/unit/test_compression.py",),
    "ingest/wire.py": ("tests/unit/test_wire.py", "tests/unit/test_otlp_codec.py"),
    "auth/keys.py": ("tests/unit/test_keys.py", "tests/unit/test_keyfile.py"),
    **dict.fromkeys(
        (
            "query/reader.py",
            "query/trajectory.py",
            "spantree/tree.py",
            "spantree/graph.py",
            "spantree/spans.py",
            "query/transcript.py",
        ),
        TRAJECTORY_TESTS,
    ),
    # the attribution rule, read by the trajectory and by ingest's agents per span (the
    # shortcut's tests compare the rule over every sample and fuzzed trees); the assistant's
    # tokens by agent has contract tests on every store: too slow for each mutant
    "spantree/attribution.py": (*TRAJECTORY_TESTS, "tests/unit/test_agent_shortcut.py"),
    "query/content.py": ("tests/unit/test_content_refs.py", *TRAJECTORY_TESTS),
}
DEFAULT_TESTS = ("tests/unit/", "tests/contract/")


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return [path.removeprefix("src/tracechat/") for path in config["only_mutate"]]


def meta_of(module: str) -> Path:
    return ROOT / "mutants" / "src" / "tracechat" / f"{module}.meta"


def results(module: str) -> dict[str, int | None]:
    meta = meta_of(module)
    if not meta.exists():
        return {}
    exit_codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return exit_codes


NICE = 19  # --nice: how much lower than the caller's priority mutmut runs (the machine is shared)


def mutmut(names: list[str], quiet: bool = False) -> subprocess.CompletedProcess[str]:
    mutmut_bin = str(Path(sys.executable).parent / "mutmut")
    command = ["nice", "-n", str(NICE), mutmut_bin, "run", "--max-children", "1", *names]
    out, err = (subprocess.PIPE, subprocess.STDOUT) if quiet else (subprocess.DEVNULL, None)
    return subprocess.run(command, cwd=ROOT, check=False, stdout=out, stderr=err, text=True)


def own_tests_only(module: str) -> None:
    """Narrow mutmut's map of tests per function to the module's own tests."""
    stats_file = ROOT / "mutants" / "mutmut-stats.json"
    stats = json.loads(stats_file.read_text())
    prefix = "tracechat." + module.removesuffix(".py").replace("/", ".") + "."
    own = OWN_TESTS.get(module, DEFAULT_TESTS)
    for function, tests in stats["tests_by_mangled_function_name"].items():
        if function.startswith(prefix):
            stats["tests_by_mangled_function_name"][function] = [t for t in tests if t.startswith(own)] or tests
    stats_file.write_text(json.dumps(stats))


def run(
    module: str, every: int, survivors: bool = False, unchecked: bool = False, sample: int = 0, seed: int = 0
) -> None:
    names = sorted(results(module))
    mapped = (ROOT / "mutants" / "mutmut-stats.json").exists()
    if mapped:
        own_tests_only(module)  # so the first mutant's clean run is of the module's own tests too
    # one mutant first: mutmut (re)generates mutants and maps tests to functions if they changed
    # (on a fresh mutants/ no name matches yet: mutmut generates, maps, then says so on stderr;
    # output kept whenever the map is missing, to say why mapping failed)
    first = mutmut(names[:1] or ["tracechat.none-yet*"], quiet=not names or not mapped)
    if not (ROOT / "mutants" / "mutmut-stats.json").exists():
        said = (first.stdout or "")[-3000:]
        sys.exit(f"mutmut could not map tests to functions (the unmutated tests must pass):\n{said}")
    own_tests_only(module)
    codes = results(module)
    wanted = ({0, 5, 33} if survivors else set()) | ({None} if unchecked else set())
    names = sorted(name for name in codes if not wanted or codes[name] in wanted)
    chosen = names[::every]
    if sample and sample < len(chosen):  # drawn at random, the same draw for the same seed
        chosen = sorted(random.Random(seed).sample(chosen, sample))
    print(f"{module}: {len(chosen)} of {len(names)} mutants", flush=True)
    if chosen:  # (no names at all would have mutmut check every mutant of every module)
        mutmut(chosen)


def report() -> int:
    rows, survivors, total_killed, total_checked = [], [], 0, 0
    for module in modules():
        codes = results(module)
        checked = {name: code for name, code in codes.items() if code is not None and code not in UNCHECKED}
        killed = [name for name, code in checked.items() if code in KILLED]
        total_killed += len(killed)
        total_checked += len(checked)
        share = f"{100 * len(killed) / len(checked):.0f}%" if checked else "-"
        kinds = Counter(
            "survived" if code == 0 else "no tests" if code in (5, 33) else KILLED.get(code, f"exit {code}")
            for code in checked.values()
        )
        rows.append(f"| {module} | {len(codes)} | {len(checked)} | {len(killed)} | {share} | {dict(kinds)} |")
        survivors += [name for name, code in checked.items() if code not in KILLED]
    print("| module | mutants | checked | killed | killed share | outcomes |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    if total_checked:
        print(f"\nall checked: {total_killed} of {total_checked} killed ({100 * total_killed / total_checked:.1f}%)")
    print("\nsurvivors (mutmut show NAME):")
    print("\n".join(f"  {name}" for name in survivors))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="paths under src/tracechat (default: all of [tool.mutmut])")
    parser.add_argument("--every", type=int, default=1, help="check every Nth mutant of each module (a sample)")
    parser.add_argument("--sample", type=int, default=0, help="check K mutants of each module drawn at random")
    parser.add_argument("--seed", type=int, default=0, help="the random draw's seed (default %(default)s)")
    parser.add_argument("--survivors", action="store_true", help="check again only the mutants that survived")
    parser.add_argument("--unchecked", action="store_true", help="check only the mutants not checked yet")
    parser.add_argument("--report", action="store_true", help="only print what was measured")
    parser.add_argument("--nice", type=int, default=19, help="niceness added for mutmut (default %(default)s)")
    args = parser.parse_args()
    global NICE
    NICE = args.nice
    if not args.report:
        for module in args.modules or modules():
            run(module, args.every, args.survivors, args.unchecked, args.sample, args.seed)
    return report()


if __name__ == "__main__":
    raise SystemExit(main())
