"""Tests of companion.datasets."""

import numpy as np
import pytest

import companion as cp


def test_circle_centers_lie_on_the_circle():
    C = cp.circle_centers(6, radius=3.0)
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 3.0)


def test_make_blobs_statistics():
    centers = [[0.0, 0.0], [10.0, 0.0]]
    X, y = cp.make_blobs(20_000, centers, std=[0.5, 2.0], weights=[0.25, 0.75], seed=0)
    assert abs(y.mean() - 0.75) < 0.02
    np.testing.assert_allclose(X[y == 0].std(axis=0), 0.5, rtol=0.05)
    np.testing.assert_allclose(X[y == 1].std(axis=0), 2.0, rtol=0.05)
    a, _ = cp.make_blobs(10, centers, seed=1)
    b, _ = cp.make_blobs(10, centers, seed=1)
    np.testing.assert_array_equal(a, b)


def test_make_anisotropic_blobs_covariance():
    cov = np.array([[3.0, 1.2], [1.2, 1.0]])
    X, y = cp.make_anisotropic_blobs(20_000, [[0.0, 0.0]], [cov], seed=0)
    np.testing.assert_allclose(np.cov(X.T), cov, atol=0.08)


def test_bad_std():
    with pytest.raises(ValueError, match="std must be positive"):
        cp.make_blobs(5, [[0.0]], std=0.0)


# --- real data shipped with the package ---------------------------------------------------

import hashlib  # noqa: E402
import pathlib  # noqa: E402
import tomllib  # noqa: E402

DATA_DIR = pathlib.Path(cp.__file__).parent / "data"

#: sha256 of the shipped files (the numbers of R's datasets::faithful and datasets::iris)
FILE_SHA256 = {
    "faithful.csv": "35755e109446ec911891b1eae5cb33bc2f18367ce712145e4f9d27d19f575bad",
    "iris.csv": "9cc1c345c71bcc9b486b74cbf6063fa66f4bb5e0f603a4b3c3471ec2e5e8e355",
}


@pytest.mark.parametrize("name", sorted(FILE_SHA256))
def test_shipped_files_have_their_checksums(name):
    assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == FILE_SHA256[name]


def test_load_faithful_shape_columns_and_checksums():
    f = cp.load_faithful()
    assert f.shape == (272, 2) and f.data.dtype == np.float64
    assert f.feature_names == ("eruptions", "waiting") and f.units == ("min", "min")
    assert f.target is None and f.target_names is None
    # checksums of the numbers themselves (independent of the file's formatting)
    assert f.data.sum(axis=0).tolist() == pytest.approx([948.677, 19284.0], abs=1e-9)
    assert f.data[[0, 1, 271]].tolist() == [[3.6, 79.0], [1.8, 54.0], [4.467, 74.0]]
    waiting = f.data[:, 1]
    assert np.all(waiting == np.round(waiting))  # whole minutes ...
    assert np.unique(waiting).size == 51  # ... so many ties
    assert waiting.min() == 43 and waiting.max() == 96
    assert "Azzalini" in f.citation and "Härdle" in f.citation


def test_load_iris_shape_species_and_checksums():
    iris = cp.load_iris()
    assert iris.shape == (150, 4) and iris.target.shape == (150,)
    assert iris.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert iris.target_names == ("setosa", "versicolor", "virginica")
    assert np.bincount(iris.target).tolist() == [50, 50, 50]
    assert np.all(iris.target == np.repeat([0, 1, 2], 50))
    assert iris.data.sum(axis=0).tolist() == pytest.approx([876.5, 458.6, 563.7, 179.9], abs=1e-9)
    # the rows scikit-learn corrected in the UCI copy (35 and 38 in 1-based numbering) agree with Fisher
    assert iris.data[34].tolist() == [4.9, 3.1, 1.5, 0.2]
    assert iris.data[37].tolist() == [4.9, 3.6, 1.4, 0.1]
    assert "Fisher" in iris.citation and "Anderson" in iris.citation


def test_iris_agrees_with_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_iris()
    iris = cp.load_iris()
    np.testing.assert_array_equal(iris.data, ref.data)
    np.testing.assert_array_equal(iris.target, ref.target)


def test_loaded_arrays_are_read_only_and_fresh():
    a, b = cp.load_faithful(), cp.load_faithful()
    with pytest.raises(ValueError):
        a.data[0, 0] = 0.0
    assert a.data is not b.data


def test_package_data_is_declared_for_wheels(repo_root):
    # a wheel built from pyproject.toml must carry the CSV files and every subpackage
    config = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "data/*.csv" in config["package-data"]["companion"]
    assert set(config["packages"]) >= {"companion", "companion.engines"}
    assert sorted(p.name for p in DATA_DIR.glob("*.csv")) == sorted(FILE_SHA256)
