"""Prioritised screening: rank unscreened records by a model trained on the decisions so far.

The model is TF-IDF features (title, abstract and keywords; single words, sublinear term
frequency) with a linear classifier. TF-IDF is fitted once on every record's text — it uses no
decisions, only the words — and the classifier is retrained as decisions come in, the set-up
of ASReview (van de Schoot et al., 2021).

Before the decisions contain both a relevant and an irrelevant record (the *cold start*) there
is nothing to train on. Records are then ordered by TF-IDF cosine similarity to the review's
question or criteria text when one is given; to the records marked relevant so far when there
are some; otherwise at random with a fixed seed.

:func:`simulate` replays a review whose answers are known, to measure how much screening the
ranking saves compared with :func:`random_baseline`: WSS@95 and RRF@10 (see :func:`wss` and
:func:`rrf`) and the recall curve.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_sample_weight

from empower.evidence.records import Record

Model = Literal["tfidf_logreg", "tfidf_svm", "tfidf_nb"]
MODELS: tuple[str, ...] = ("tfidf_logreg", "tfidf_svm", "tfidf_nb")
Query = Literal["max", "uncertainty"]

# Chosen on the three labelled reviews in benchmarks/screening_simulation.py: bigrams and other
# classifiers did no better on WSS@95 and worse on RRF@10 (docs/evidence-screening.md).
TFIDF_OPTIONS: dict[str, Any] = {
    "sublinear_tf": True,
    "ngram_range": (1, 1),
    "min_df": 2,
    "max_df": 0.95,
    "stop_words": "english",
    "strip_accents": "unicode",
    "dtype": np.float64,
}
LOGREG_C = 1.0
SVM_C = 0.1
NB_ALPHA = 3.0


def record_text(record: Record | Mapping[str, Any] | str) -> str:
    """The words a model sees: title, abstract and keywords."""
    if isinstance(record, str):
        return record
    if isinstance(record, Record):
        title, abstract, keywords = record.title, record.abstract, record.keywords
    else:
        title = record.get("title") or ""
        abstract = record.get("abstract") or record.get("abstracts") or ""
        keywords = record.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    return " ".join(str(part) for part in (title, abstract, *keywords) if part)


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(**TFIDF_OPTIONS)


def _features(texts: Sequence[str]) -> tuple[TfidfVectorizer, sparse.csr_matrix]:
    vectorizer = _vectorizer()
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:
        # Too few records for min_df (or no words at all): keep every term that occurs.
        vectorizer = TfidfVectorizer(**{**TFIDF_OPTIONS, "min_df": 1, "max_df": 1.0})
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:
            vectorizer = TfidfVectorizer(
                **{**TFIDF_OPTIONS, "min_df": 1, "max_df": 1.0, "stop_words": None}
            )
            matrix = vectorizer.fit_transform([t or " " for t in texts])
    return vectorizer, sparse.csr_matrix(matrix)


def _classifier_scores(model: str, x_train, y_train: np.ndarray, x_score) -> np.ndarray:
    """Fit ``model`` on the labelled rows and return a relevance score for ``x_score``."""
    if model == "tfidf_logreg":
        clf = LogisticRegression(
            C=LOGREG_C, class_weight="balanced", solver="liblinear", max_iter=1000
        )
        clf.fit(x_train, y_train)
        return clf.decision_function(x_score)
    if model == "tfidf_svm":
        clf = LinearSVC(C=SVM_C, class_weight="balanced")
        clf.fit(x_train, y_train)
        return clf.decision_function(x_score)
    if model == "tfidf_nb":
        clf = MultinomialNB(alpha=NB_ALPHA)
        clf.fit(x_train, y_train, sample_weight=compute_sample_weight("balanced", y_train))
        proba = clf.predict_log_proba(x_score)
        return proba[:, 1] - proba[:, 0]
    raise ValueError(f"model must be one of {', '.join(MODELS)}, not {model!r}")


def _order(scores: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Indices by descending score; equal scores in ``tiebreak`` order."""
    return np.lexsort((tiebreak, -scores))


class Prioritiser:
    """Orders records by how likely they are to be relevant.

    Parameters
    ----------
    model : {"tfidf_logreg", "tfidf_svm", "tfidf_nb"}
        TF-IDF features with logistic regression (the default), a linear SVM (as good in our
        simulations) or multinomial naive Bayes. Classes are balanced by weight.
    question : str, optional
        The review's question or criteria text, for ordering before the decisions can train
        a model.
    seed : int
        Seed of the random order used when there is neither a model nor a question.

    Examples
    --------
    >>> p = Prioritiser().fit(["survivor group", "weather report", "survivor network"],
    ...                       [True, False, None])
    >>> p.rank(["weather today", "survivor collective"])
    [1, 0]
    """

    def __init__(
        self, model: Model = "tfidf_logreg", *, question: str | None = None, seed: int = 0
    ) -> None:
        if model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, not {model!r}")
        self.model = model
        self.question = question
        self.seed = seed
        self.mode: str | None = None  # "model", "question", "relevant", "random" after fit
        self._vectorizer: TfidfVectorizer | None = None
        self._x: sparse.csr_matrix | None = None
        self._y: np.ndarray | None = None
        self._relevant: sparse.csr_matrix | None = None

    def fit(
        self,
        records: Sequence[Record | Mapping[str, Any] | str],
        labels: Sequence[bool | None],
    ) -> Prioritiser:
        """Learn from the decisions so far.

        ``labels[i]`` is ``True`` (relevant), ``False`` (irrelevant) or ``None`` (not screened
        yet). Pass the unscreened records too: their words shape the TF-IDF features although
        they carry no decision.
        """
        if len(records) != len(labels):
            raise ValueError(f"{len(records)} records but {len(labels)} labels")
        bad = [i for i, v in enumerate(labels) if v not in (True, False, None)]
        if bad:
            raise ValueError(f"labels must be True, False or None (positions {bad[:5]})")
        texts = [record_text(r) for r in records]
        self._vectorizer, matrix = _features(texts)
        known = np.array([i for i, v in enumerate(labels) if v is not None], dtype=int)
        y = np.array([bool(labels[i]) for i in known], dtype=bool)
        self._x, self._y, self._relevant = None, None, None
        if y.any() and not y.all():
            self.mode = "model"
            self._x, self._y = matrix[known], y
        elif self.question and self.question.strip():
            self.mode = "question"
        elif y.any():
            self.mode = "relevant"
            self._relevant = matrix[known[y]]
        else:
            self.mode = "random"
        return self

    def scores(self, records: Sequence[Record | Mapping[str, Any] | str]) -> np.ndarray:
        """A relevance score per record (higher = more likely relevant)."""
        if self._vectorizer is None:
            raise RuntimeError("call fit() first")
        x = self._vectorizer.transform([record_text(r) for r in records])
        if self.mode == "model":
            return _classifier_scores(self.model, self._x, self._y, x)
        if self.mode == "question":
            q = self._vectorizer.transform([self.question or ""])
            return np.asarray((x @ q.T).todense()).ravel()
        if self.mode == "relevant":
            centre = np.asarray(self._relevant.mean(axis=0)).ravel()
            return np.asarray(x @ centre).ravel()
        return np.zeros(x.shape[0])

    def rank(self, records: Sequence[Record | Mapping[str, Any] | str]) -> list[int]:
        """Indices into ``records``, most likely relevant first.

        Ties (and the whole order, in random mode) are broken by a random permutation drawn
        from ``seed``, so the same input always gives the same order.
        """
        scores = self.scores(records)
        tiebreak = np.random.default_rng(self.seed).permutation(len(scores))
        return [int(i) for i in _order(scores, tiebreak)]


# --- evaluation measures --------------------------------------------------------------------


def _truth_array(truth: Sequence[bool]) -> np.ndarray:
    t = np.asarray(truth, dtype=bool)
    if t.ndim != 1 or not t.any():
        raise ValueError("truth must be a list of booleans with at least one relevant record")
    return t


def _check_order(order: Sequence[int], n: int) -> np.ndarray:
    o = np.asarray(order, dtype=int)
    if len(o) != n or len(np.unique(o)) != n or (n and (o.min() < 0 or o.max() >= n)):
        raise ValueError("order must list every record index exactly once")
    return o


def recall_curve(order: Sequence[int], truth: Sequence[bool]) -> np.ndarray:
    """Recall after screening 1, 2, …, N records in ``order`` (element *k-1* is for *k*)."""
    t = _truth_array(truth)
    o = _check_order(order, len(t))
    return np.cumsum(t[o]) / t.sum()


def screened_at_recall(order: Sequence[int], truth: Sequence[bool], recall: float = 0.95) -> int:
    """How many records are screened, in ``order``, until ``recall`` of the relevant are found.

    Finding ``recall`` means finding at least ⌈recall · R⌉ of the R relevant records.
    """
    t = _truth_array(truth)
    o = _check_order(order, len(t))
    needed = math.ceil(recall * t.sum() - 1e-9)
    return int(np.searchsorted(np.cumsum(t[o]), needed) + 1)


def wss(order: Sequence[int], truth: Sequence[bool], recall: float = 0.95) -> float:
    r"""Work saved over sampling at a recall level (Cohen et al., 2006).

    Cohen et al. define, for a classifier that reaches recall *r*,
    :math:`\mathrm{WSS@}r = (TN + FN)/N - (1 - r)`. For a ranking screened from the top
    until the first cut-off where recall reaches *r* (after *k* records), the records not
    screened are exactly TN + FN, so

    .. math::

        \mathrm{WSS@}r = \frac{N - k}{N} - (1 - r) = r - \frac{k}{N}.

    This uses the *nominal* *r* (0.95), as ASReview does; when ⌈rR⌉/R is above *r* (e.g. 20
    of 20 needed for 95 % of 16 relevant) the achieved recall is higher than *r* and the
    saving is not credited for it. Random order gives about 0 on average; a perfect ranking
    gives :math:`r - \lceil rR\rceil / N`.

    References
    ----------
    Cohen, A. M., Hersh, W. R., Peterson, K., & Yen, P.-Y. (2006). Reducing workload in
    systematic review preparation using automated citation classification. *JAMIA*, 13(2),
    206–219.
    """
    t = _truth_array(truth)
    return recall - screened_at_recall(order, truth, recall) / len(t)


def rrf(order: Sequence[int], truth: Sequence[bool], fraction: float = 0.10) -> float:
    """Relevant records found after screening ``fraction`` of all records (RRF@10 for 0.10).

    The share (0–1) of relevant records among the first ⌈fraction · N⌉ screened (van de Schoot
    et al., 2021, ASReview, who report it as a percentage).

    References
    ----------
    van de Schoot, R., de Bruin, J., Schram, R., et al. (2021). An open source machine learning
    framework for efficient and transparent systematic reviews. *Nature Machine Intelligence*,
    3, 125–133.
    """
    curve = recall_curve(order, truth)
    k = math.ceil(fraction * len(curve) - 1e-9)
    return float(curve[k - 1]) if k > 0 else 0.0


# --- simulation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationRun:
    """One replay: the screening ``order`` (initial records first) and what it achieved."""

    order: tuple[int, ...]
    recall_curve: np.ndarray
    wss_at_95: float
    rrf_at_10: float
    seconds: float
    seed: int


@dataclass(frozen=True)
class SimulationResult:
    """Several replays of one review. The headline figures are means over the runs.

    ``order`` is the first run's order, ``recall_curve`` the mean recall curve.
    """

    model: str
    n_records: int
    n_relevant: int
    runs: tuple[SimulationRun, ...] = field(repr=False)

    @property
    def order(self) -> tuple[int, ...]:
        return self.runs[0].order

    @property
    def recall_curve(self) -> np.ndarray:
        return np.mean([r.recall_curve for r in self.runs], axis=0)

    @property
    def wss_at_95(self) -> float:
        return float(np.mean([r.wss_at_95 for r in self.runs]))

    @property
    def rrf_at_10(self) -> float:
        return float(np.mean([r.rrf_at_10 for r in self.runs]))

    def summary(self) -> pd.DataFrame:
        """Mean, SD, min and max of WSS@95, RRF@10 and seconds over the runs."""
        frame = pd.DataFrame(
            {
                "wss_at_95": [r.wss_at_95 for r in self.runs],
                "rrf_at_10": [r.rrf_at_10 for r in self.runs],
                "seconds": [r.seconds for r in self.runs],
            }
        )
        return frame.agg(["mean", "std", "min", "max"]).T.rename(columns={"std": "sd"})


def _initial(t: np.ndarray, initial: tuple[int, int], rng: np.random.Generator) -> list[int]:
    n_rel, n_irr = initial
    relevant, irrelevant = np.flatnonzero(t), np.flatnonzero(~t)
    if n_rel > len(relevant) or n_irr > len(irrelevant) or n_rel < 0 or n_irr < 0:
        raise ValueError(f"initial={initial} asks for more records than the data has")
    chosen = [
        *rng.choice(relevant, n_rel, replace=False),
        *rng.choice(irrelevant, n_irr, replace=False),
    ]
    return [int(i) for i in chosen]


def _one_run(
    x: sparse.csr_matrix,
    t: np.ndarray,
    *,
    model: str,
    seed: int,
    initial: tuple[int, int],
    batch: int,
    query: str,
) -> SimulationRun:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = len(t)
    order = _initial(t, initial, rng)
    screened = np.zeros(n, dtype=bool)
    screened[order] = True
    tiebreak = rng.permutation(n)
    found, total = int(t[order].sum()), int(t.sum())
    scores = np.zeros(n)
    while len(order) < n:
        pool = np.flatnonzero(~screened)
        if found == total:
            # Every relevant record is in; the rest cannot change any measure. Append them in
            # the last model's order so the curve stays complete.
            order += [int(i) for i in pool[_order(scores[pool], tiebreak[pool])]]
            break
        labelled = np.array(order)
        y = t[labelled]
        if y.any() and not y.all():
            scores[pool] = _classifier_scores(model, x[labelled], y, x[pool])
        if query == "uncertainty":
            ranked = pool[_order(-np.abs(scores[pool]), tiebreak[pool])]
        else:
            ranked = pool[_order(scores[pool], tiebreak[pool])]
        picked = [int(i) for i in ranked[:batch]]
        order += picked
        screened[picked] = True
        found += int(t[picked].sum())
    curve = np.cumsum(t[order]) / total
    return SimulationRun(
        order=tuple(order),
        recall_curve=curve,
        wss_at_95=wss(order, t),
        rrf_at_10=rrf(order, t),
        seconds=time.perf_counter() - started,
        seed=seed,
    )


def simulate(
    records: Sequence[Record | Mapping[str, Any] | str],
    truth: Sequence[bool],
    *,
    seed: int = 0,
    initial: tuple[int, int] = (1, 1),
    batch: int = 1,
    query: Query = "max",
    n_runs: int = 1,
    model: Model = "tfidf_logreg",
) -> SimulationResult:
    """Replay screening of labelled records with the model choosing what comes next.

    Each run starts from ``initial`` = (relevant, irrelevant) records drawn at random (they
    count as screened), then repeatedly trains the model on every decision so far and
    screens the ``batch`` records it ranks highest (``query="max"``, certainty sampling) or
    those it is least sure of (``"uncertainty"``). ``batch=1`` retrains after every decision.
    Run *i* uses seed ``seed + i``. Once every relevant record is found the rest are appended
    without retraining, which changes none of the measures.
    """
    t = _truth_array(truth)
    if len(records) != len(t):
        raise ValueError(f"{len(records)} records but {len(t)} truth values")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, not {model!r}")
    if query not in ("max", "uncertainty"):
        raise ValueError(f"query must be 'max' or 'uncertainty', not {query!r}")
    if batch < 1 or n_runs < 1:
        raise ValueError("batch and n_runs must be at least 1")
    _, x = _features([record_text(r) for r in records])
    runs = tuple(
        _one_run(x, t, model=model, seed=seed + i, initial=initial, batch=batch, query=query)
        for i in range(n_runs)
    )
    return SimulationResult(model=model, n_records=len(t), n_relevant=int(t.sum()), runs=runs)


def random_baseline(truth: Sequence[bool], *, seed: int = 0, n_runs: int = 10) -> SimulationResult:
    """The same measures for screening in random order (run *i* uses seed ``seed + i``)."""
    t = _truth_array(truth)
    runs = []
    for i in range(n_runs):
        started = time.perf_counter()
        order = [int(j) for j in np.random.default_rng(seed + i).permutation(len(t))]
        runs.append(
            SimulationRun(
                order=tuple(order),
                recall_curve=recall_curve(order, t),
                wss_at_95=wss(order, t),
                rrf_at_10=rrf(order, t),
                seconds=time.perf_counter() - started,
                seed=seed + i,
            )
        )
    return SimulationResult(
        model="random", n_records=len(t), n_relevant=int(t.sum()), runs=tuple(runs)
    )
