"""Prioritised screening on labelled reviews: work saved over random order.

Replays title/abstract screening of the drug-class reviews of Cohen et al. (2006) with the
model choosing what to screen next, and reports WSS@95, RRF@10, the runtime and a recall curve
per review against random order.

    .venv/bin/python benchmarks/screening_simulation.py            # 10 runs per review
    .venv/bin/python benchmarks/screening_simulation.py --runs 3 --model tfidf_svm

The data are read straight from the CSV files (relevant = ``label2 == "I"``, the final
full-text decision), so the benchmark does not depend on the importers.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from rich.console import Console
from rich.table import Table

from empower.evidence.prioritise import MODELS, random_baseline, simulate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "screening"
DATASETS = ("ADHD", "Antihistamines", "UrinaryIncontinence")


def load(path: Path) -> tuple[list[dict[str, object]], list[bool]]:
    """Records (title, abstract, keywords) and relevance from one labelled CSV file."""
    records, truth = [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            records.append(
                {
                    "title": row["title"] or "",
                    "abstract": row["abstracts"] or "",
                    "keywords": [
                        k.strip() for k in (row["keywords"] or "").split(";") if k.strip()
                    ],
                }
            )
            truth.append(row["label2"].strip() == "I")
    return records, truth


def percent(row) -> str:
    """``mean ± SD`` in %, or the mean alone after a single run."""
    if np.isnan(row["sd"]):
        return f"{100 * row['mean']:.1f}"
    return f"{100 * row['mean']:.1f} ± {100 * row['sd']:.1f}"


def plot(name: str, model_curves: np.ndarray, random_curves: np.ndarray, out: Path) -> Path:
    n = model_curves.shape[1]
    x = np.arange(1, n + 1) / n * 100
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for curves, label, colour in (
        (model_curves, "model", "#1b6ca8"),
        (random_curves, "random order", "#999999"),
    ):
        mean = curves.mean(axis=0) * 100
        ax.fill_between(
            x,
            curves.min(axis=0) * 100,
            curves.max(axis=0) * 100,
            color=colour,
            alpha=0.2,
            linewidth=0,
        )
        ax.plot(x, mean, color=colour, label=f"{label} (mean of {len(curves)})")
    ax.axhline(95, color="#c0392b", linestyle=":", linewidth=1, label="95 % recall")
    ax.axvline(10, color="#555555", linestyle=":", linewidth=1, label="10 % screened")
    ax.set(
        xlabel="records screened (%)",
        ylabel="relevant records found (%)",
        title=f"{name}: {n} records",
        xlim=(0, 100),
        ylim=(0, 101),
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = out / f"recall_{name}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the CSV files")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "benchmarks" / "out",
        help="folder for the recall-curve PNGs",
    )
    parser.add_argument("--runs", type=int, default=10, help="simulation runs (seeds) per review")
    parser.add_argument("--random-runs", type=int, default=100, help="random-order runs per review")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--model", choices=MODELS, default="tfidf_logreg")
    parser.add_argument("--batch", type=int, default=1, help="retrain after this many decisions")
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    console = Console(width=120)
    table = Table(title=f"Prioritised screening — {args.model}, {args.runs} runs per review")
    for column in (
        "review",
        "records",
        "relevant",
        "order",
        "WSS@95 (%)",
        "RRF@10 (%)",
        "seconds / run",
    ):
        table.add_column(column, justify="left" if column in ("review", "order") else "right")

    for name in args.datasets:
        path = args.data / f"{name}.csv"
        if not path.is_file():
            console.print(f"[red]missing {path}[/red]")
            return 1
        records, truth = load(path)
        started = time.perf_counter()
        model = simulate(
            records, truth, seed=args.seed, n_runs=args.runs, model=args.model, batch=args.batch
        )
        elapsed = (time.perf_counter() - started) / args.runs
        rand = random_baseline(truth, seed=args.seed, n_runs=args.random_runs)
        for label, result, seconds in ((args.model, model, elapsed), ("random", rand, None)):
            s = result.summary()
            table.add_row(
                name if label != "random" else "",
                str(result.n_records) if label != "random" else "",
                str(result.n_relevant) if label != "random" else "",
                label,
                percent(s.loc["wss_at_95"]),
                percent(s.loc["rrf_at_10"]),
                f"{seconds:.2f}" if seconds is not None else "",
            )
        picture = plot(
            name,
            np.array([r.recall_curve for r in model.runs]),
            np.array([r.recall_curve for r in rand.runs]),
            args.out,
        )
        console.print(f"{name}: recall curve saved to {picture}")
    console.print(table)
    console.print(
        "mean ± SD over runs; each run starts from 1 relevant + 1 irrelevant record "
        "drawn at random, counted as screened."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
