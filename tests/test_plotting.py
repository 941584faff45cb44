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


def _relative_luminance(color):
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in matplotlib.colors.to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_book_style_is_shipped_and_matches_the_palette():
    from companion.plotting import BOOK_STYLE, CLUSTER_COLORS

    style = matplotlib.rc_params_from_file(BOOK_STYLE, use_default_template=False)
    cycle = [matplotlib.colors.to_hex(c["color"]).upper() for c in style["axes.prop_cycle"]]
    assert cycle == [c.upper() for c in CLUSTER_COLORS]  # "C0" is cluster 0
    # no yellow on white: every colour has at least 2:1 contrast against white
    for color in CLUSTER_COLORS:
        assert (1.05) / (_relative_luminance(color) + 0.05) >= 2.0, color


def test_book_style_text_is_at_least_11_px_in_the_column():
    """A font of s pt in a 100-dpi figure no wider than the column is s * 100/72 px on the page."""
    from companion.plotting import BOOK_STYLE, COLUMN_WIDTH_INCHES

    style = matplotlib.rc_params_from_file(BOOK_STYLE, use_default_template=False)
    assert style["figure.dpi"] == 100 and style["savefig.dpi"] >= 200
    assert style["figure.figsize"][0] <= COLUMN_WIDTH_INCHES
    sizes = {key: style[key] for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
                                          "ytick.labelsize", "legend.fontsize", "legend.title_fontsize")}
    for key, size in sizes.items():
        points = float(size) if not isinstance(size, str) else matplotlib.font_manager.FontProperties(
            size=size).get_size_in_points()
        assert points * 100 / 72 >= 11, (key, points)


def test_use_book_style_sets_the_rc_params():
    from companion.plotting import use_book_style

    with matplotlib.rc_context():
        use_book_style()
        assert matplotlib.rcParams["font.size"] == 10
        assert matplotlib.rcParams["savefig.dpi"] == 200


def test_animation_frames_follow_the_style():
    """Frames are 560 px wide at 100 dpi (not the 270 px of before), whatever savefig.dpi says."""
    import base64
    import re

    from companion.plotting import ANIMATION_DPI, ANIMATION_FIGSIZE, animate_annealing, animation_html

    X, _ = cp.make_blobs(60, cp.circle_centers(2, 3.0), seed=1)
    ann = cp.anneal(X, 2, sigmas=cp.geometric_schedule(4.0, 0.5, 4), seed=0)
    with matplotlib.rc_context({"savefig.dpi": 200}):
        html = animation_html(animate_annealing(X, ann, max_frames=2), "anneal_test")
    frame = re.search(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)", html).group(1)
    png = base64.b64decode(frame.replace("\\\n", "").replace("\\", ""))
    width = int.from_bytes(png[16:20], "big")
    assert width == round(ANIMATION_FIGSIZE[0] * ANIMATION_DPI) == 560
