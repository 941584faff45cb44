"""Tests of companion.plotting: ellipses at the right scale, consistent colours."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import companion as cp  # noqa: E402
from companion.plotting import cluster_color, ellipse_axes, plot_clusters, plot_covariance_ellipses  # noqa: E402


def test_ellipse_semi_axes_are_standard_deviations():
    R = np.array([[np.cos(0.5), -np.sin(0.5)], [np.sin(0.5), np.cos(0.5)]])
    cov = R @ np.diag([9.0, 1.0]) @ R.T
    w, h, angle = ellipse_axes(cov, n_std=2.0)
    assert w == pytest.approx(2 * 2 * 3.0) and h == pytest.approx(2 * 2 * 1.0)
    assert np.radians(angle) % np.pi == pytest.approx(0.5)


def test_plot_helpers_draw_one_patch_per_component_and_radius():
    X, y = cp.make_blobs(60, cp.circle_centers(3, 4.0), seed=0)
    r = cp.gmm(X, 3, seed=0)
    fig, ax = plt.subplots()
    plot_clusters(ax, X, r.labels, r.means)
    plot_covariance_ellipses(ax, r, n_std=(1, 2))
    assert len(ax.patches) == 6
    assert ax.patches[0].get_edgecolor()[:3] == pytest.approx(matplotlib.colors.to_rgb(cluster_color(0)))
    plt.close(fig)
    assert cluster_color(0) == cluster_color(8)


def test_animation_html_is_deterministic_and_self_contained():
    from companion.plotting import animate_kmeans, animation_html

    X, _ = cp.make_blobs(60, cp.circle_centers(2, 3.0), seed=1)
    r = cp.kmeans(X, 2, init=X[:2].copy())
    a = animation_html(animate_kmeans(X, r, dpi=30), "lloyd_test")
    b = animation_html(animate_kmeans(X, r, dpi=30), "lloyd_test")
    assert a == b
    assert "_anim_imglloyd_test" in a
    # offline: no link to any server (matplotlib's Font Awesome CDN link is removed)
    assert "https://" not in a and 'class="fa ' not in a
    # one embedded PNG frame per history entry
    assert a.count('data:image/png;base64') == r.n_iter + 1
    anim = animate_kmeans(X, r, dpi=30)
    with pytest.raises(ValueError, match="name must be"):
        animation_html(anim, "bad name")
    anim.to_jshtml()  # render it, so matplotlib does not warn about an unused animation


def test_plot_criterion_draws_one_line_per_type_and_hollow_degenerate_fits():
    from companion.plotting import plot_criterion

    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(0, 1, 100), np.round(rng.normal(0, 2, 100))])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.ConvergenceWarning)
        sel = cp.select_gmm(X, range(1, 5), ("full", "diag"), n_init=5, max_iter=300, seed=0,
                            skip_degenerate=False)
    assert sel.degenerate.any()
    fig, ax = plt.subplots()
    plot_criterion(ax, sel)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels.count("full") == 1 and labels.count("diag") == 1
    hollow = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white"]
    assert sum(len(line.get_xdata()) for line in hollow) == int(sel.degenerate.sum())
    plot_criterion(ax, sel, "icl")
    assert ax.get_ylabel().startswith("ICL")
    plt.close(fig)
