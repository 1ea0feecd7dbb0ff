"""The K-means lab: the data, the initial centres, Lloyd's iterations, scikit-learn's stop test.

The package's face: the public names of `experiment`, so ``from lab.experiments.kmeans import ...`` keeps working."""

from lab.experiments.kmeans.experiment import (  # noqa: F401
    ANISOTROPY,
    DATASETS,
    INITS,
    LABELS_PER_ITER_MAX_ROWS,
    MAX_ABS,
    MAX_ROWS,
    PRESETS,
    KMeansConfig,
    KMeansExperiment,
    Projection,
    check_data,
    elbow,
    init_seed,
    initial_centers,
    make_data,
    silhouette,
    sklearn_reference,
)
