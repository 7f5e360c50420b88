"""Judge `make bench`'s cohort with the engine as it is and as it was at a git revision.

    .venv/bin/python bench/engine_against.py REV [ENGINE_PATH CATALOGUE_PATH]

Every check-in of the cohort goes through both engines, with the same answers,
baseline, two days before and treatment, and the two verdicts (urgency and every
finding) are compared. The earlier engine and its catalogue are read from git at
REV (by default clinical/engine.py and clinical/catalogue.py, or where they lived
before the clinical core, alerts/engine.py and patients/catalogue.py, at a revision
older than it), into a temporary package; nothing of it is imported from the working
tree. The cohort is seeded only (BENCH_STAGES=seed), on a temporary SQLite file
unless DATABASE_URL is given. Prints `engine_compared_with_REV=N differ=M`. Exits 1
on a difference.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USAGE = "usage: bench/engine_against.py REV [ENGINE_PATH CATALOGUE_PATH]"


def earlier_engine(rev: str, engine_path: str, catalogue_path: str):
    """The engine module at `rev`, its catalogue beside it (`from .catalogue import`)."""
    folder = Path(tempfile.mkdtemp(prefix="engine-at-")) / "earlier_engine"
    folder.mkdir()

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    engine = show(engine_path)
    for module in ("patients.catalogue", "clinical.catalogue"):
        engine = engine.replace(f"from {module} import", "from .catalogue import")
    engine = engine.replace("from clinical.urgency import", "from .urgency import")
    (folder / "engine.py").write_text(engine)
    (folder / "catalogue.py").write_text(show(catalogue_path))
    if "from .urgency import" in engine:
        (folder / "urgency.py").write_text(show("clinical/urgency.py"))
    (folder / "__init__.py").write_text("")
    sys.path.insert(0, str(folder.parent))
    from earlier_engine import engine as earlier  # the package made just above

    return earlier


def default_paths(rev: str) -> list[str]:
    """The engine and catalogue at `rev`: in clinical/, or where they were before it."""
    there = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:clinical/engine.py"],
        capture_output=True,
        check=False,
    )
    if there.returncode == 0:
        return ["clinical/engine.py", "clinical/catalogue.py"]
    return ["alerts/engine.py", "patients/catalogue.py"]


def main() -> None:
    if len(sys.argv) not in (2, 4):
        raise SystemExit(USAGE)
    rev = sys.argv[1]
    paths = sys.argv[2:] or default_paths(rev)
    sys.argv = [sys.argv[0]]
    os.environ["BENCH_STAGES"] = "seed"
    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="engine-against-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/cohort.sqlite3"
    sys.path.insert(0, str(ROOT / "bench"))
    import run  # configures Django before either engine is imported

    earlier = earlier_engine(rev, *paths)
    now_evaluate = run.evaluate_check_in
    counted = {"compared": 0, "differ": 0}

    def verdict(evaluation) -> str:
        return json.dumps([evaluation.urgency, [f.as_dict() for f in evaluation.findings]])

    def both(answers, baseline=None, *, history=(), treatment=None):
        history = list(history)
        now = now_evaluate(answers, baseline, history=history, treatment=treatment)
        then = earlier.evaluate_check_in(
            answers,
            baseline,
            history=[earlier.PastCheckIn(p.days_ago, p.answers, p.baseline) for p in history],
            treatment=treatment
            and earlier.Treatment(treatment.with_chemotherapy, treatment.status),
        )
        counted["compared"] += 1
        counted["differ"] += verdict(now) != verdict(then)
        return now

    run.evaluate_check_in = both
    run.main()
    print(f"engine_compared_with_{rev}={counted['compared']} differ={counted['differ']}")
    if counted["differ"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
