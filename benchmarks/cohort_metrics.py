"""Cohort metrics at scale: time and peak memory for 1,000 to 100,000 assessments.

Builds a synthetic long score table from the known model of ``empower.demo`` and runs the
metrics of the cohort report on it, timing each step:

* ``axis_summary`` of each participant's latest assessment per instrument version;
* ``classify_change`` (first against latest, reliabilities given per instrument, version and
  axis);
* ``time_to_improvement`` for each of the four axes;
* ``cohort_change_summary`` with those times, and ``protect_change_summary`` for a viewer;
* ``cronbach_alpha`` (pairwise) of one six-item subscale answered in as many assessments.

    .venv/bin/python benchmarks/cohort_metrics.py                       # 1,000 10,000 100,000
    .venv/bin/python benchmarks/cohort_metrics.py --quick               # 1,000 only
    .venv/bin/python benchmarks/cohort_metrics.py --sizes 5000 --runs 5
    .venv/bin/python benchmarks/cohort_metrics.py --sizes 10000 --profile 25

The data: each participant has 3–5 assessments (a baseline and 2–4 evenly spaced follow-ups,
the last 6–18 months after the baseline) and a latent level per axis, standard normal at
baseline. ``IMPROVER_SHARE`` of them rise by ``TRUE_IMPROVEMENT`` latent SDs,
``DETERIORATOR_SHARE`` fall by ``TRUE_DECLINE``, the rest stay. As in the demo, 46 in 76 start
on the scales (version 1.0: six Likert items per axis, loading ``LOADING``, cut at
``LIKERT_THRESHOLDS``, scored as the rescaled item mean) and the others on the four-axis
interview (version 2.0: one 1–10 ladder rating per axis, 5.5 + 1.5·level + N(0, 0.75²),
rounded); one in three who start on the scales is assessed last with the interview. All scores
are present. The alpha matrix holds six items of one subscale for as many respondents (levels
standard normal), 3 % skipped and 1 % "prefer not to say" (both missing).

Reliabilities given to the change metrics: for the scales the population alpha of the
six-item subscale under the model (computed exactly, not from the sample), for the ladder
the 0.80 the web layer assumes (``LADDER_RELIABILITY``).

Timing: ``time.perf_counter``, the best of ``--runs`` runs (default 3 up to 10,000
assessments, 1 above); the total is the best whole run, each step its own best. Generating
the data is not timed. Peak memory: one more run under ``tracemalloc`` (so that tracing does
not slow the timed runs), restarted for every size; it counts what the metrics allocate on
top of the input frames, numpy and pandas buffers included.

Sanity check (printed, not asserted): the share reliably improved per axis against the share
the model expects, the mean over participants of P(RCI > 1.96) given their latent levels at
baseline and latest, the instruments used and the baseline SD the metrics estimated (exact
score distributions, no simulation).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from scipy import stats

from empower.demo import (
    DETERIORATOR_SHARE,
    IMPROVER_SHARE,
    LIKERT_THRESHOLDS,
    LOADING,
    PILOT_SIZE,
    TRUE_DECLINE,
    TRUE_IMPROVEMENT,
)
from empower.instruments import get_instrument
from empower.metrics.change import (
    CATEGORIES,
    RCI_CRITERION,
    classify_change,
    cohort_change_summary,
    protect_change_summary,
    time_to_improvement,
)
from empower.metrics.cohort import axis_summary
from empower.metrics.privacy import Audience
from empower.metrics.reliability import cronbach_alpha

SCALES = get_instrument("empowerment-scales", "1.0")
INTERVIEW = get_instrument("empowerment-interview", "2.0")
AXES = INTERVIEW.axis_ids()
ITEMS = 6  # per subscale of the scales
#: The demo's mix of instruments (46 of the 76 start on the scales, one in three switches).
SCALES_SHARE = 46 / PILOT_SIZE
SWITCH_SHARE = 1 / 3
#: The demo's ladder rating: round(5.5 + 1.5·level + N(0, 0.75²)), kept within 1–10.
LADDER_CENTRE, LADDER_SLOPE, LADDER_NOISE = 5.5, 1.5, 0.75
#: Assumed reliability of one ladder rating (as ``web.assessments.change``).
LADDER_RELIABILITY = 0.80
SKIPPED, NOT_SAID = 0.03, 0.01
FIRST_DAY = np.datetime64("2023-01-01")
INTAKE_DAYS = 730  # baselines spread over two years
STEPS = ("axis summary", "classify", "time to impr.", "summary", "protect", "alpha")


# --------------------------------------------------------------------------- the model


def _likert_probabilities(level: np.ndarray) -> np.ndarray:
    """P(answer = 1…5 | level) of one keyed item, shape (*level.shape, 5)."""
    noise = np.sqrt(1 - LOADING**2)
    above = stats.norm.sf((np.asarray(LIKERT_THRESHOLDS) - LOADING * level[..., None]) / noise)
    ones = np.ones((*level.shape, 1))
    zeros = np.zeros((*level.shape, 1))
    return np.concatenate([ones, above], axis=-1) - np.concatenate([above, zeros], axis=-1)


def _likert_score(item_sum: np.ndarray) -> np.ndarray:
    """0–100 score of a subscale from the sum of its six 1–5 answers (rescaled mean)."""
    return 100 * (item_sum - ITEMS) / (4 * ITEMS)


def _ladder_score(rating: np.ndarray) -> np.ndarray:
    return 100 * (rating - 1) / 9


def _sum_distribution(level: np.ndarray) -> np.ndarray:
    """P(sum of the six answers = 6…30 | level), shape (len(level), 25)."""
    item = _likert_probabilities(level)
    dist = item
    for _ in range(ITEMS - 1):
        grown = np.zeros((len(level), dist.shape[1] + 4))
        for c in range(5):
            grown[:, c : c + dist.shape[1]] += dist * item[:, c : c + 1]
        dist = grown
    return dist


def _ladder_distribution(level: np.ndarray) -> np.ndarray:
    """P(rating = 1…10 | level), shape (len(level), 10)."""
    centre = LADDER_CENTRE + LADDER_SLOPE * level
    edges = np.arange(1.5, 10, 1.0)  # 1.5 … 9.5
    below = stats.norm.cdf((edges[None, :] - centre[:, None]) / LADDER_NOISE)
    cdf = np.concatenate([below, np.ones((len(level), 1))], axis=1)
    return np.diff(cdf, axis=1, prepend=0.0)


SUM_SCORES = _likert_score(np.arange(ITEMS, 5 * ITEMS + 1, dtype=float))
LADDER_SCORES = _ladder_score(np.arange(1, 11, dtype=float))


def population_alpha() -> float:
    """Cronbach's alpha of the six-item subscale when levels are standard normal, from the
    exact item distribution (Gauss–Hermite quadrature over the level)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    probs = _likert_probabilities(nodes)
    values = np.arange(1, 6)
    mean_given = probs @ values
    square_given = probs @ values**2
    mean = weights @ mean_given
    variance = weights @ square_given - mean**2
    covariance = weights @ mean_given**2 - mean**2  # items independent given the level
    k = ITEMS
    return k / (k - 1) * (1 - k * variance / (k * variance + k * (k - 1) * covariance))


SCALES_ALPHA = population_alpha()
RELIABILITIES: dict[tuple[str, str, str], float] = {
    **{(SCALES.id, SCALES.version, axis): SCALES_ALPHA for axis in AXES},
    **{(INTERVIEW.id, INTERVIEW.version, axis): LADDER_RELIABILITY for axis in AXES},
}


# --------------------------------------------------------------------------- the data


@dataclass
class Cohort:
    scores: pd.DataFrame
    items: pd.DataFrame
    participants: int
    #: per participant: latent levels (participants × axes) and instrument at baseline and
    #: at the latest assessment (True = scales)
    level_first: np.ndarray
    level_last: np.ndarray
    scales_first: np.ndarray
    scales_last: np.ndarray


def _assessment_counts(rng: np.random.Generator, total: int) -> np.ndarray:
    """3–5 assessments per participant, adding up to exactly ``total`` (≥ 3)."""
    counts = rng.integers(3, 6, max(1, round(total / 4)))
    gap = total - int(counts.sum())
    while gap:
        room = np.flatnonzero(counts < 5) if gap > 0 else np.flatnonzero(counts > 3)
        if len(room) == 0:  # everyone at the limit: one participant more or fewer
            counts = np.append(counts, 3) if gap > 0 else counts[:-1]
            gap = total - int(counts.sum())
            continue
        chosen = rng.choice(room, min(abs(gap), len(room)), replace=False)
        counts[chosen] += np.sign(gap)
        gap = total - int(counts.sum())
    return counts


def make_cohort(total: int, seed: int) -> Cohort:
    """``total`` assessments from the known model (see the module docstring)."""
    rng = np.random.default_rng(seed)
    counts = _assessment_counts(rng, total)
    m = len(counts)
    start = rng.integers(0, INTAKE_DAYS, m)
    span = rng.integers(183, 549, m)
    scales_first = rng.random(m) < SCALES_SHARE
    switch = scales_first & (rng.random(m) < SWITCH_SHARE)
    roll = rng.random(m)
    change = np.where(
        roll < IMPROVER_SHARE,
        TRUE_IMPROVEMENT,
        np.where(roll < IMPROVER_SHARE + DETERIORATOR_SHARE, TRUE_DECLINE, 0.0),
    )
    level = rng.standard_normal((m, len(AXES)))

    who = np.repeat(np.arange(m), counts)
    position = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    share = position / (counts[who] - 1)  # 0 at baseline, 1 at the latest follow-up
    day = start[who] + np.rint(span[who] * share).astype(int)
    last = share == 1
    on_scales = scales_first[who] & ~(switch[who] & last)
    theta = level[who] + (change[who] * share)[:, None]  # assessments × axes

    scores = np.empty_like(theta)
    s = on_scales
    answers = LOADING * theta[s][..., None] + rng.normal(
        0, np.sqrt(1 - LOADING**2), (int(s.sum()), len(AXES), ITEMS)
    )
    keyed = 1 + (answers[..., None] > np.asarray(LIKERT_THRESHOLDS)).sum(axis=-1)
    scores[s] = _likert_score(keyed.sum(axis=-1).astype(float))
    rating = np.rint(
        LADDER_CENTRE + LADDER_SLOPE * theta[~s] + rng.normal(0, LADDER_NOISE, theta[~s].shape)
    )
    scores[~s] = _ladder_score(np.clip(rating, 1, 10))

    # Rows in the order the assessments were held, four axes each (as the web layer reads them).
    order = np.lexsort((who, day))
    codes = np.array([f"P{i:06d}" for i in range(m)], dtype=object)
    n_axes = len(AXES)
    frame = pd.DataFrame({
        "participant": np.repeat(codes[who[order]], n_axes),
        "date": np.repeat(FIRST_DAY + day[order].astype("timedelta64[D]"), n_axes),
        "instrument_id": np.repeat(
            np.where(on_scales[order], SCALES.id, INTERVIEW.id).astype(object), n_axes
        ),
        "instrument_version": np.repeat(
            np.where(on_scales[order], SCALES.version, INTERVIEW.version).astype(object), n_axes
        ),
        "axis": np.tile(np.array(AXES, dtype=object), total),
        "score": scores[order].ravel(),
    })

    respondents = rng.standard_normal(total)
    item_answers = LOADING * respondents[:, None] + rng.normal(
        0, np.sqrt(1 - LOADING**2), (total, ITEMS)
    )
    likert = (1 + (item_answers[..., None] > np.asarray(LIKERT_THRESHOLDS)).sum(-1)).astype(float)
    likert[rng.random(likert.shape) < SKIPPED + NOT_SAID] = np.nan
    items = pd.DataFrame(likert, columns=[f"item_{i + 1}" for i in range(ITEMS)])

    return Cohort(
        scores=frame,
        items=items,
        participants=m,
        level_first=level,
        level_last=level + change[:, None],
        scales_first=scales_first,
        scales_last=scales_first & ~switch,
    )


# --------------------------------------------------------------------------- the metrics


def latest_per_version(scores: pd.DataFrame) -> pd.DataFrame:
    """Each participant's latest assessment with each instrument version they were seen with."""
    ordered = scores.sort_values("date", kind="stable")
    return ordered.drop_duplicates(
        ["participant", "instrument_id", "instrument_version", "axis"], keep="last"
    )


def metric_steps(cohort: Cohort) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """The steps of the full cohort metrics; each reads earlier results from ``done``."""
    scores = cohort.scores
    return [
        ("axis summary", lambda done: axis_summary(latest_per_version(scores), list(AXES))),
        ("classify", lambda done: classify_change(scores, RELIABILITIES)),
        ("time to impr.", lambda done: {
            axis: time_to_improvement(scores, RELIABILITIES, axis=axis) for axis in AXES
        }),
        ("summary", lambda done: cohort_change_summary(
            done["classify"], times=done["time to impr."]
        )),
        ("protect", lambda done: protect_change_summary(done["summary"], Audience.VIEWER)),
        ("alpha", lambda done: cronbach_alpha(cohort.items, nan_policy="pairwise")),
    ]


def run_once(cohort: Cohort, trace: bool = False) -> tuple[dict[str, float], dict[str, Any]]:
    """Seconds per step (or, with ``trace``, peak bytes per step) and the results."""
    measured: dict[str, float] = {}
    done: dict[str, Any] = {}
    for name, step in metric_steps(cohort):
        if trace:
            tracemalloc.reset_peak()
        began = time.perf_counter()
        done[name] = step(done)
        measured[name] = (
            tracemalloc.get_traced_memory()[1] if trace else time.perf_counter() - began
        )
    return measured, done


@dataclass
class Measurement:
    assessments: int
    participants: int
    runs: int
    step_seconds: dict[str, float]
    total_seconds: float
    peak_bytes: int | None
    peak_step: str | None
    results: dict[str, Any]
    generate_seconds: float


def measure(size: int, seed: int, runs: int, memory: bool) -> Measurement:
    began = time.perf_counter()
    cohort = make_cohort(size, seed)
    generated = time.perf_counter() - began
    best: dict[str, float] = {}
    totals = []
    results: dict[str, Any] = {}
    for _ in range(runs):
        seconds, results = run_once(cohort)
        totals.append(sum(seconds.values()))
        best = {k: min(v, best.get(k, v)) for k, v in seconds.items()}
    peak = peak_step = None
    if memory:
        tracemalloc.start()
        try:
            peaks, _ = run_once(cohort, trace=True)
        finally:
            tracemalloc.stop()
        peak_step = max(peaks, key=lambda k: peaks[k])
        peak = int(peaks[peak_step])
    results["cohort"] = cohort
    return Measurement(size, cohort.participants, runs, best, min(totals), peak, peak_step,
                       results, generated)


# --------------------------------------------------------------------------- sanity check


def expected_improved_share(cohort: Cohort, sd: dict[str, float]) -> dict[str, float]:
    """Per axis, the mean over participants of P(RCI > criterion, first vs latest) under the
    model, given their latent levels, instruments and the estimated baseline SD."""
    expected = {}
    for a, axis in enumerate(AXES):
        probability = np.zeros(cohort.participants)
        for first_scales in (True, False):
            for last_scales in (True, False):
                who = (cohort.scales_first == first_scales) & (cohort.scales_last == last_scales)
                if not who.any():
                    continue
                p0, x = _distribution(cohort.level_first[who, a], first_scales)
                p1, y = _distribution(cohort.level_last[who, a], last_scales)
                r0 = RELIABILITIES[_key(first_scales, axis)]
                r1 = RELIABILITIES[_key(last_scales, axis)]
                s_diff = sd[axis] * np.sqrt((1 - r0) + (1 - r1))
                improved = ((y[None, :] - x[:, None]) / s_diff > RCI_CRITERION).astype(float)
                probability[who] = np.einsum("mi,ij,mj->m", p0, improved, p1)
        expected[axis] = float(probability.mean())
    return expected


def _distribution(level: np.ndarray, scales: bool) -> tuple[np.ndarray, np.ndarray]:
    if scales:
        return _sum_distribution(level), SUM_SCORES
    return _ladder_distribution(level), LADDER_SCORES


def _key(scales: bool, axis: str) -> tuple[str, str, str]:
    instrument = SCALES if scales else INTERVIEW
    return (instrument.id, instrument.version, axis)


# --------------------------------------------------------------------------- output


def _mib(value: int | None) -> str:
    return "—" if value is None else f"{value / 2**20:,.1f}"


def print_table(console: Console, rows: list[Measurement]) -> None:
    table = Table(title="Full cohort metrics: seconds per step (best run), total, peak memory")
    table.add_column("assessments", justify="right")
    table.add_column("participants", justify="right")
    table.add_column("runs", justify="right")
    for step in STEPS:
        table.add_column(step, justify="right")
    table.add_column("total s", justify="right", style="bold")
    table.add_column("peak MiB", justify="right")
    for row in rows:
        table.add_row(
            f"{row.assessments:,}",
            f"{row.participants:,}",
            str(row.runs),
            *(f"{row.step_seconds[s]:.3f}" for s in STEPS),
            f"{row.total_seconds:.2f}",
            _mib(row.peak_bytes),
        )
    console.print(table)


def print_sanity(console: Console, row: Measurement) -> None:
    cohort = row.results["cohort"]
    classified = row.results["classify"]
    summary = row.results["summary"].set_index("axis")
    sd = classified.groupby("axis")["sd"].first().to_dict()
    expected = expected_improved_share(cohort, sd)
    parts = [
        f"{axis} {summary.loc[axis, 'reliably_improved_share']:.3f} vs {expected[axis]:.3f}"
        for axis in AXES
    ]
    alpha = row.results["alpha"]
    console.print(
        f"{row.assessments:>7,}: reliably improved, measured vs model — " + "; ".join(parts)
        + f" (true improvers {IMPROVER_SHARE:.2f}); alpha {alpha.alpha:.4f} vs model"
        f" {SCALES_ALPHA:.4f}; generated in {row.generate_seconds:.2f} s"
        + (f"; memory peak in {row.peak_step}, input frame"
           f" {_mib(int(cohort.scores.memory_usage(deep=True).sum()))} MiB"
           if row.peak_step else "")
    )
    km = row.results["time to impr."]
    medians = ", ".join(f"{axis} {km[axis].median_days}" for axis in AXES)
    protected = row.results["protect"]
    console.print(
        f"         median days to improvement: {medians}; "
        f"{int(protected['withheld'].sum())} of {len(protected)} viewer rows withheld; "
        f"{int((classified['category'] == CATEGORIES[0]).sum()):,} improved rows of "
        f"{len(classified):,}"
    )


def profile(console: Console, size: int, seed: int, top: int) -> None:
    cohort = make_cohort(size, seed)
    profiler = cProfile.Profile()
    profiler.enable()
    run_once(cohort)
    profiler.disable()
    console.print(f"[bold]cProfile, {size:,} assessments, by cumulative time[/bold]")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)
    console.print("[bold]by own time[/bold]")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                        help="numbers of assessments (each scores four axes)")
    parser.add_argument("--quick", action="store_true", help="1,000 assessments only")
    parser.add_argument("--runs", type=int, default=None,
                        help="timed runs per size (default: 3 up to 10,000, 1 above)")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the extra run under tracemalloc")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP",
                        help="instead, profile one run per size and print the TOP functions")
    args = parser.parse_args(argv)
    sizes = [1_000] if args.quick else args.sizes
    if any(size < 3 for size in sizes):
        parser.error("every size needs at least 3 assessments")
    console = Console(width=150)
    if args.profile:
        for size in sizes:
            profile(console, size, args.seed, args.profile)
        return 0
    rows = []
    for size in sizes:
        runs = args.runs or (3 if size <= 10_000 else 1)
        rows.append(measure(size, args.seed, runs, not args.no_memory))
        print_sanity(console, rows[-1])
    print_table(console, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
