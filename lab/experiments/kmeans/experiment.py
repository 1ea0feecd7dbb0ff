"""The K-means lab: the data, the initial centres, Lloyd's iterations, scikit-learn's stop test.

`KMeansConfig` names the data (a generator of `sklearn.datasets` or an uploaded table), the
preprocessing and the algorithm's settings; `lab.run(config)` (or ``lab.run(config,
data=frame)`` for an upload) streams one step per Lloyd iteration with the metrics
``kmeans/inertia`` (the inertia of the iteration's assignment, measured to the centres it
was made with), ``kmeans/shift`` (summed squared movement of the centres),
``kmeans/changed`` (points that changed cluster; every point at iteration 1) and
``kmeans/tol`` (the absolute tolerance the shift is compared to). `LloydConvergence` stops
the run exactly where scikit-learn's ``_kmeans_single_lloyd`` stops, so from the same
initial centres the final labels, inertia and iteration count equal
``KMeans(algorithm="lloyd", n_init=1, init=centres, tol=tol)``.

With ``n_init > 1`` every restart runs to its own decision first (the same rule), the one
scikit-learn would keep is chosen (lowest inertia, unless it is the same clustering
relabelled) and its steps are then streamed, so the main history is the kept restart's;
artifact ``restarts`` holds every restart's curve. The initial centres come from a
``RandomState`` seeded by `init_seed(seed)`: ``KMeans(random_state=init_seed(seed),
n_init=n)`` on the same data picks the same centres and keeps the same restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from lab.config import Config, field
from lab.constraints import Boolean, FieldError, Interval, Items, Options, Text
from lab.experiments.kmeans.lloyd import Lloyd, LloydConvergence, Restart, best_restart, lloyd_steps, run_restart, tolerance
from lab.presets import Preset

#: The most rows the lab clusters (generated or uploaded).
MAX_ROWS = 200_000
#: The largest magnitude of a value the lab clusters (squared distances must stay finite).
MAX_ABS = 1e100
#: Labels of every iteration are kept (artifact ``labels_per_iter``) up to this many rows.
LABELS_PER_ITER_MAX_ROWS = 20_000
DATASETS = ("blobs", "anisotropic", "moons", "circles", "uniform", "csv")
INITS = ("k-means++", "random", "explicit")
#: The linear map that stretches blobs in scikit-learn's "k-means assumptions" example.
ANISOTROPY = ((0.6, -0.6), (-0.4, 0.8))


def init_seed(seed: int) -> int:
    """The seed of the RandomState that draws initial centres, derived from the config's seed."""
    return int(np.random.SeedSequence((seed, 0x6B6D)).generate_state(1)[0])


@dataclass(frozen=True)
class KMeansConfig(Config):
    lab: ClassVar[str] = "kmeans"

    dataset: str = field("blobs", help="data: blobs, anisotropic (stretched blobs), moons, circles, uniform noise, or csv (uploaded)",
                         allowed=Options(DATASETS, searched=[d for d in DATASETS if d != "csv"]))
    n_samples: int = field(500, help="number of points to generate (not used for csv)", allowed=Interval(Integral, 2, MAX_ROWS))
    n_features: int = field(2, help="features of blobs, anisotropic and uniform data (moons and circles are 2-D)",
                            allowed=Interval(Integral, 1, 100))
    centers: int = field(3, help="number of true blobs (blobs and anisotropic)", allowed=Interval(Integral, 1, 50))
    cluster_std: float = field(1.0, help="spread of each blob (standard deviation)", allowed=Interval(Real, 0, 100, closed="right"))
    noise: float = field(0.05, help="noise of moons and circles (standard deviation)", allowed=Interval(Real, 0, 10))
    standardize: bool = field(False, help="scale every feature to mean 0 and variance 1 before clustering", allowed=Boolean())
    k: int = field(3, help="number of clusters to find", allowed=Interval(Integral, 1, 50))
    init: str = field("k-means++", help="initial centres: k-means++, random (k distinct points), or explicit",
                      allowed=Options(INITS, searched=[i for i in INITS if i != "explicit"]))
    init_centers: tuple[tuple[float, ...], ...] | None = field(
        None, help="explicit initial centres: k rows of one number per feature (then one run: n_init is ignored, as in scikit-learn)",
        allowed=Items(Items(Interval(Real), 1, None), 1, None),
    )
    n_init: int = field(1, help="restarts from different initial centres; the lowest inertia is kept", allowed=Interval(Integral, 1, 100))
    tol: float = field(1e-4, help="stop when the centre shift is at most tol x mean feature variance", allowed=Interval(Real, 0, 1))
    max_iter: int = field(300, help="most Lloyd iterations per restart", allowed=Interval(Integral, 1, 10_000))
    seed: int = field(0, help="seed of the data generator and of the initial centres", allowed=Interval(Integral, 0, 2**32 - 1))
    columns: tuple[str, ...] = field((), help="csv only: the numeric columns to cluster (empty: all)", allowed=Items(Text(None), 0, None))

    def check(self) -> None:
        """Generated data needs k <= n_samples; init_centers go with init='explicit' only, as k rows of one width."""
        if self.dataset != "csv" and self.k > self.n_samples:
            raise FieldError("k", self.k, f"is larger than n_samples={self.n_samples}; k-means needs at least k points")
        rows = self.init_centers
        if self.init != "explicit":
            if rows is not None:
                raise FieldError("init_centers", rows, f"is only used with init='explicit' (init={self.init!r})")
            return
        if rows is None or len(rows) != self.k:
            raise FieldError("init_centers", rows, f"is not allowed; with init='explicit' give k={self.k} rows of numbers")
        for i, row in enumerate(rows):
            if len(row) != len(rows[0]):
                raise ValueError(f"init_centers[{i}] has {len(row)} numbers, init_centers[0] has {len(rows[0])}; give rows of equal length")

    def experiment(self, data: Any = None) -> KMeansExperiment:
        return KMeansExperiment(self, data)

    def rules(self) -> list[Any]:
        return [LloydConvergence(self.max_iter)]

    def work(self) -> int:
        """Restarts x iterations x points x clusters (the distances Lloyd computes at most; an
        uploaded CSV counts as `MAX_ROWS` points, its size is not known before it is read)."""
        rows = MAX_ROWS if self.dataset == "csv" else self.n_samples
        return self.n_init * self.max_iter * rows * self.k

    @property
    def budget(self) -> int:
        return self.max_iter


def make_data(config: KMeansConfig, data: Any = None) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The data to cluster (before standardization), its true labels if known, its feature names."""
    from sklearn import datasets

    c, seed = config, config.seed
    noise = abs(c.noise)  # -0.0 is in range, but numpy refuses a scale whose sign bit is set
    if c.dataset == "csv":
        if data is None:
            raise ValueError("dataset='csv' needs the uploaded data: lab.run(config, data=frame)")
        return _table(data, c.columns)
    if data is not None:
        raise ValueError(f"data was given but dataset={c.dataset!r}; use dataset='csv' to cluster uploaded data")
    if c.dataset in ("blobs", "anisotropic"):
        X, y = datasets.make_blobs(c.n_samples, n_features=c.n_features, centers=c.centers,
                                   cluster_std=c.cluster_std, random_state=seed)
        if c.dataset == "anisotropic" and c.n_features >= 2:
            X[:, :2] = X[:, :2] @ np.array(ANISOTROPY)
    elif c.dataset == "moons":
        X, y = datasets.make_moons(c.n_samples, noise=noise, random_state=seed)
    elif c.dataset == "circles":
        X, y = datasets.make_circles(c.n_samples, noise=noise, factor=0.5, random_state=seed)
    else:
        X, y = np.random.default_rng(seed).uniform(-1.0, 1.0, (c.n_samples, c.n_features)), None
    return np.asarray(X, dtype=np.float64), y, [f"x{i + 1}" for i in range(X.shape[1])]


def _table(data: Any, columns: tuple[str, ...]) -> tuple[np.ndarray, None, list[str]]:
    if hasattr(data, "columns"):
        names = [str(c) for c in data.columns]
        chosen = list(columns) or names
        missing = [c for c in chosen if c not in names]
        if missing:
            raise ValueError(f"columns={columns!r}: {', '.join(missing)} not in the data (it has {', '.join(names)})")
        try:
            X = data[chosen].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"columns={columns!r}: the chosen columns must be numeric ({exc})") from exc
        return X, None, chosen
    try:
        X = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the data must be a table of numbers ({exc})") from exc
    if X.ndim != 2:
        raise ValueError(f"the data must be a 2-D table of numbers, got shape {X.shape}")
    if columns:
        raise ValueError(f"columns={columns!r} needs a table with named columns (a pandas DataFrame)")
    return X, None, [f"x{i + 1}" for i in range(X.shape[1])]


def check_data(X: np.ndarray, k: int) -> None:
    """Raise ValueError with a message for the user when k-means cannot run on X with k clusters.

    More clusters than distinct points is allowed, as in scikit-learn: the run ends with
    fewer distinct clusters, and `warn_few_clusters` says so with scikit-learn's warning.
    """
    n = X.shape[0]
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(f"the data must have at least one feature column, got shape {X.shape}")
    if n > MAX_ROWS:
        raise ValueError(f"the data has {n} rows; the limit is MAX_ROWS = {MAX_ROWS}")
    if n < 2:
        raise ValueError(f"the data has {n} row(s); k-means needs at least 2")
    if not np.isfinite(X).all():
        bad = int((~np.isfinite(X)).any(axis=1).sum())
        raise ValueError(f"the data has {bad} row(s) with NaN or infinite values; drop or fill them first")
    if np.abs(X).max() > MAX_ABS:
        raise ValueError(f"the data has values beyond {MAX_ABS:g} in magnitude; their squared distances would overflow, rescale them")
    if (X == X[0]).all():
        raise ValueError("the data is constant (every row is the same point); there is nothing to cluster")
    if k > n:
        raise ValueError(f"k={k} is larger than the number of points ({n})")


def warn_few_clusters(labels: np.ndarray, k: int) -> None:
    """scikit-learn's ConvergenceWarning when the final labels use fewer than k clusters."""
    distinct = int(np.count_nonzero(np.bincount(labels, minlength=k)))
    if distinct < k:
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(f"Number of distinct clusters ({distinct}) found smaller than n_clusters ({k}). "
                      "Possibly due to duplicate points in X.", ConvergenceWarning, stacklevel=2)


def _distinct_rows(X: np.ndarray, at_least: int) -> int:
    """Number of distinct rows, counted on a prefix when that already shows `at_least`."""
    head = min(len(X), max(4 * at_least, 1000))
    distinct = len(np.unique(X[:head], axis=0))
    if distinct >= at_least or head == len(X):
        return distinct
    return len(np.unique(X, axis=0))


def initial_centers(X: np.ndarray, k: int, init: str, n: int, seed: int) -> list[np.ndarray]:
    """`n` sets of initial centres on the (centred) data, drawn as scikit-learn draws them."""
    from sklearn.cluster import kmeans_plusplus

    state = np.random.RandomState(init_seed(seed))
    x_sq = np.einsum("ij,ij->i", X, X)
    out = []
    for _ in range(n):
        if init == "k-means++":
            centers, _ = kmeans_plusplus(X, k, x_squared_norms=x_sq, random_state=state)
        else:
            weights = np.ones(len(X))
            centers = X[state.choice(len(X), size=k, replace=False, p=weights / weights.sum())]
        out.append(np.array(centers, dtype=np.float64))
    return out


class KMeansExperiment:
    """Prepares the data and initial centres; streams Lloyd iterations of the kept restart."""

    def __init__(self, config: KMeansConfig, data: Any = None) -> None:
        self.config = c = config
        X, self.y_true, self.feature_names = make_data(c, data)
        check_data(X, c.k)
        if c.standardize:
            from sklearn.preprocessing import StandardScaler

            X = StandardScaler().fit_transform(X)
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.mean = self.X.mean(axis=0)
        self.Xc = np.ascontiguousarray(self.X - self.mean)
        self.tol_abs = tolerance(self.Xc, c.tol)
        self.keep_labels = len(self.X) <= LABELS_PER_ITER_MAX_ROWS
        if c.init == "explicit":
            inits = [self._explicit_centers()]
            self._shown = [np.array(c.init_centers, dtype=np.float64)]
        else:
            inits = initial_centers(self.Xc, c.k, c.init, c.n_init, c.seed)
            self._shown = [C + self.mean for C in inits]
        self.restarts: list[Restart] = []
        self.kept = 0
        self.inits = inits
        self._engine: Lloyd | None = None
        self._paths: list[np.ndarray] = []
        self._labels_per_iter: list[np.ndarray] | None = None
        self._steps: list[Any] = []

    def _explicit_centers(self) -> np.ndarray:
        C = np.array(self.config.init_centers, dtype=np.float64)
        if C.shape[1] != self.X.shape[1]:
            raise ValueError(f"init_centers has rows of {C.shape[1]} numbers but the data has {self.X.shape[1]} features")
        return C - self.mean

    def steps(self):
        """Lloyd iterations as they happen; with several restarts, every restart first runs to
        its decision (inside the run's time), then the kept restart's steps are replayed."""
        c = self.config
        if len(self.inits) > 1:
            self.restarts = [run_restart(self.Xc, C, self.tol_abs, c.max_iter, keep_labels=self.keep_labels,
                                         offset=self.mean) for C in self.inits]
            self.kept = best_restart(self.restarts, c.k)
            yield from self.restarts[self.kept].steps
            return
        init = self.inits[0]
        self._engine = Lloyd(self.Xc, init)
        self._paths = [init + self.mean]
        self._labels_per_iter = [] if self.keep_labels else None
        for step in lloyd_steps(self._engine, self.tol_abs, self.config.max_iter, self._paths,
                                self._labels_per_iter, self.mean):
            self._steps.append(step)
            yield step

    def artifacts(self, decision: Any) -> dict[str, Any]:
        if self.restarts:
            kept = self.restarts[self.kept]
            n_iter = min(decision.step, kept.n_iter)
            paths = kept.center_paths[: n_iter + 1]
            per_iter = None if kept.labels_per_iter is None else kept.labels_per_iter[:n_iter]
            if n_iter == kept.n_iter:
                labels, inertia = kept.labels, kept.inertia
            else:
                labels, inertia = Lloyd(self.Xc, paths[-1] - self.mean).finish(strict=False)
            curves = [{**_restart_summary(i, r, i == self.kept), "init_centers": self._shown[i]}
                      for i, r in enumerate(self.restarts)]
        else:
            steps, paths, per_iter = self._steps, self._paths, self._labels_per_iter
            n_iter = len(steps)
            labels, inertia = self._engine.finish(strict=steps[-1].metrics["kmeans/changed"] == 0)
            curves = [{"restart": 0, "kept": True, "inertia_curve": [s.metrics["kmeans/inertia"] for s in steps],
                       "inertia": inertia, "n_iter": n_iter, "reason": decision.reason, "init_centers": self._shown[0]}]
        paths = [self._shown[self.kept], *paths[1:]]
        warn_few_clusters(labels, self.config.k)
        return {
            "X": self.X,
            "y_true": self.y_true,
            "feature_names": self.feature_names,
            "init_centers": paths[0],
            "centers": paths[-1],
            "labels": labels,
            "inertia": inertia,
            "n_iter": n_iter,
            "tol_abs": self.tol_abs,
            "center_paths": np.array(paths),
            "labels_per_iter": None if per_iter is None else np.array(per_iter),
            "restarts": curves,
            "kept_restart": self.kept,
        }


def _restart_summary(i: int, r: Restart, kept: bool) -> dict[str, Any]:
    return {"restart": i, "kept": kept, "inertia_curve": [s.metrics["kmeans/inertia"] for s in r.steps],
            "inertia": r.inertia, "n_iter": r.n_iter, "reason": r.decision.reason}


def elbow(X: np.ndarray, ks: Any = range(2, 11), seed: int = 0, *, tol: float = 1e-4, max_iter: int = 300,
          silhouette_sample: int | None = None) -> list[dict[str, float]]:
    """Final inertia against k (k-means++ init, one restart each): the elbow chart's points.

    Values of k above the number of distinct points are skipped. With `silhouette_sample`, each
    point also has the final labels' ``silhouette`` score on that many points (see `silhouette`).
    """
    X = np.asarray(X, dtype=np.float64)
    ks = [int(k) for k in ks]
    for k in ks:
        KMeansConfig.check_field("k", k)
    check_data(X, 1)
    KMeansConfig.check_field("seed", seed)
    Xc = np.ascontiguousarray(X - X.mean(axis=0))
    tol_abs = tolerance(Xc, tol)
    distinct = _distinct_rows(Xc, max(ks, default=1))
    out = []
    for k in ks:
        if k > distinct:
            continue
        init = initial_centers(Xc, k, "k-means++", 1, seed)[0]
        r = run_restart(Xc, init, tol_abs, max_iter)
        point = {"k": k, "inertia": r.inertia, "n_iter": r.n_iter}
        if silhouette_sample is not None:
            point["silhouette"] = silhouette(X, r.labels, silhouette_sample, seed)
        out.append(point)
    return out


def silhouette(X: np.ndarray, labels: np.ndarray, sample_size: int | None = 5000, seed: int = 0) -> float | None:
    """Mean silhouette coefficient (scikit-learn), on a seeded subsample of `sample_size` points
    when there are more; None when it is undefined (fewer than 2 or more than n-1 clusters).
    """
    from sklearn.metrics import silhouette_score

    labels = np.asarray(labels)
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels > len(labels) - 1:
        return None
    size = None if sample_size is None or sample_size >= len(labels) else int(sample_size)
    return float(silhouette_score(X, labels, sample_size=size, random_state=seed))


class Projection:
    """The plane to draw data of any dimension on: the first two principal components of X
    (scikit-learn's PCA) when it has more than two features, the features themselves otherwise.

    `transform` takes any array whose last axis is the features (points, centres, centre paths).
    """

    def __init__(self, X: np.ndarray, feature_names: list[str] | None = None) -> None:
        X = np.asarray(X, dtype=np.float64)
        self.d = X.shape[1]
        self._pca = None
        if self.d > 2:
            from sklearn.decomposition import PCA

            self._pca = PCA(n_components=2, svd_solver="full").fit(X)
            ratio = self._pca.explained_variance_ratio_
            self.axes = [f"PC{i + 1} ({ratio[i]:.0%} of variance)" for i in range(2)]
            self.explained = float(ratio.sum())
        else:
            names = feature_names or [f"x{i + 1}" for i in range(self.d)]
            self.axes = list(names) + ([""] if self.d == 1 else [])
            self.explained = 1.0

    def transform(self, A: np.ndarray) -> np.ndarray:
        A = np.asarray(A, dtype=np.float64)
        flat = A.reshape(-1, self.d)
        if self._pca is not None:
            flat = self._pca.transform(flat)
        elif self.d == 1:
            flat = np.hstack([flat, np.zeros_like(flat)])
        return flat.reshape(*A.shape[:-1], 2)


PRESETS: dict[str, Preset] = {
    "stuck_random_init": Preset(
        title="A bad random start gets stuck",
        lesson=("Six well-separated blobs, six clusters, centres started on six random points: two centres "
                "share one blob and one centre covers two, and Lloyd's iterations cannot move them apart. "
                "The final inertia is about three times that of k-means++ with 10 restarts "
                "(set init to k-means++ or raise n_init)."),
        config=KMeansConfig(dataset="blobs", n_samples=600, centers=6, cluster_std=0.8, k=6, init="random", seed=5),
    ),
    "anisotropic_split": Preset(
        title="Stretched blobs are split the wrong way",
        lesson=("k-means measures plain Euclidean distance, so it looks for round clusters of similar size. "
                "On three stretched blobs even the best of 10 restarts cuts across them (adjusted Rand index "
                "about 0.4 against the true blobs), and its inertia is lower than the true grouping's: "
                "the objective itself prefers the wrong answer."),
        config=KMeansConfig(dataset="anisotropic", n_samples=600, centers=3, k=3, n_init=10, seed=0),
    ),
    "kmeanspp_fewer_iterations": Preset(
        title="k-means++ starts closer, converges sooner",
        lesson=("Ten blobs, k = 10. k-means++ spreads the initial centres out (each new one drawn with "
                "probability proportional to the squared distance to the nearest chosen one). Over seeds "
                "0 to 9 its runs take on average at most three quarters of the iterations that random "
                "initial centres take; switch init to random and compare."),
        config=KMeansConfig(dataset="blobs", n_samples=2000, centers=10, k=10, init="k-means++", seed=0),
    ),
}


def sklearn_reference(X: np.ndarray, init_centers: np.ndarray, tol: float, max_iter: int = 300) -> dict[str, Any]:
    """scikit-learn's own Lloyd from the same initial centres, for the page to show side by side:
    ``KMeans(algorithm="lloyd", n_init=1, init=init_centers, tol=tol, max_iter=max_iter)``."""
    import warnings

    from sklearn.cluster import KMeans

    init_centers = np.asarray(init_centers, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(len(init_centers), init=init_centers, n_init=1, algorithm="lloyd", tol=tol, max_iter=max_iter).fit(X)
    return {"labels": km.labels_, "centers": km.cluster_centers_, "inertia": float(km.inertia_), "n_iter": int(km.n_iter_)}
