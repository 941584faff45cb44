"""Plotting helpers for the book's figures (needs matplotlib).

The algorithms never import this module; matplotlib is imported when a
helper is first called.  One style, :data:`BOOK_STYLE` (applied with
:func:`use_book_style`), sizes every figure for the book's text column; one
palette, :data:`CLUSTER_COLORS`, gives cluster ``k`` the same colour in every
figure of a chapter.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

__all__ = [
    "BOOK_STYLE",
    "COLUMN_WIDTH_INCHES",
    "use_book_style",
    "CLUSTER_COLORS",
    "cluster_color",
    "plot_clusters",
    "plot_covariance_ellipses",
    "plot_criterion",
    "ellipse_axes",
    "animation_html",
    "animate_kmeans",
    "animate_gmm",
    "animate_annealing",
]

#: Path of the book's Matplotlib style file (shipped with the package).
BOOK_STYLE = str(resources.files(__package__).joinpath("book.mplstyle"))

#: Width of the book's text column at 1280 px, in inches of a 100-dpi figure
#: (672 CSS px).  A figure at most this wide is shown at its natural size, so
#: its text keeps the size the style gives it (at least 11 px on the page).
COLUMN_WIDTH_INCHES = 6.7

#: Colour-blind-friendly palette (Okabe and Ito) without its yellow, which has
#: too little contrast on white; cluster k gets entry k mod 8.  The book style
#: uses the same sequence as its colour cycle, so ``"C0"`` is cluster 0.
CLUSTER_COLORS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#7F7F7F",
)


def use_book_style(*, retina=True):
    """Apply the book's figure style, and show inline figures at high resolution.

    Loads :data:`BOOK_STYLE` into Matplotlib's ``rcParams`` (font sizes for
    the book's column, the palette of :data:`CLUSTER_COLORS`, white
    background).  Inside IPython it also selects the ``"retina"`` inline
    format: PNGs at twice the figure's dpi, displayed at half their pixel
    width, so text stays sharp on high-density screens.  Every chapter calls
    it once, in its setup cell.

    Parameters
    ----------
    retina : bool, default True
        Select the retina inline format when running inside IPython.

    Returns
    -------
    None

    Examples
    --------
    >>> import matplotlib
    >>> with matplotlib.rc_context():  # restores the previous style afterwards
    ...     use_book_style()
    ...     print(matplotlib.rcParams["font.size"], matplotlib.rcParams["savefig.dpi"])
    10.0 200.0
    """
    import matplotlib.pyplot as plt

    plt.style.use(BOOK_STYLE)
    if retina:
        _select_retina_format()


def _select_retina_format():
    """Ask IPython's inline backend for 2x PNGs (no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is not a dependency
        return
    if get_ipython() is None:
        return
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - older IPython
        from IPython.display import set_matplotlib_formats
    set_matplotlib_formats("retina")


def _in_book_style(func):
    """Run ``func`` with the book's rcParams, so the figures it creates follow the style."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import matplotlib.pyplot as plt

        with plt.style.context(BOOK_STYLE):
            return func(*args, **kwargs)

    return wrapper


def cluster_color(k):
    """The colour of cluster ``k`` in every figure."""
    return CLUSTER_COLORS[int(k) % len(CLUSTER_COLORS)]


def plot_clusters(ax, X, labels=None, centers=None, *, s=8, alpha=0.6, center_marker="X"):
    """Scatter 2-D points coloured by ``labels``, with optional centres.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    X : array_like, shape (n_samples, 2)
    labels : array_like of int, shape (n_samples,), optional
    centers : array_like, shape (n_clusters, 2), optional
        Drawn as large markers in their cluster's colour with a black edge.

    Returns
    -------
    ax
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2) to be plotted; got {X.shape}")
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha, color="0.4", linewidths=0)
    else:
        labels = np.asarray(labels)
        colors = [cluster_color(k) for k in labels]
        ax.scatter(X[:, 0], X[:, 1], s=s, alpha=alpha, c=colors, linewidths=0)
    if centers is not None:
        centers = np.asarray(centers, dtype=np.float64)
        for k, c in enumerate(centers):
            ax.scatter(
                c[0], c[1], s=160, marker=center_marker, color=cluster_color(k),
                edgecolors="black", linewidths=1.2, zorder=3,
            )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="box")
    return ax


def ellipse_axes(covariance, n_std=1.0):
    """Width, height and angle (degrees) of the ``n_std``-standard-deviation ellipse.

    The ellipse :math:`\\{x : (x-\\mu)^\\top\\Sigma^{-1}(x-\\mu) = c^2\\}` has
    semi-axes :math:`c\\sqrt{\\lambda_i}` along the eigenvectors of
    :math:`\\Sigma` (standard deviations, not variances).

    Examples
    --------
    >>> import numpy as np
    >>> w, h, angle = ellipse_axes(np.diag([4.0, 1.0]), n_std=1.0)
    >>> float(w), float(h), float(angle)
    (4.0, 2.0, 0.0)
    """
    Sigma = np.asarray(covariance, dtype=np.float64)
    eigvals, eigvecs = np.linalg.eigh(Sigma)
    order = np.argsort(eigvals)[::-1]
    eigvals, eigvecs = eigvals[order], eigvecs[:, order]
    width, height = 2.0 * n_std * np.sqrt(np.maximum(eigvals, 0.0))
    angle = np.degrees(np.arctan2(eigvecs[1, 0], eigvecs[0, 0]))
    if np.isclose(angle, 180.0) or np.isclose(angle, -180.0):
        angle = 0.0
    return width, height, angle + 0.0


def plot_covariance_ellipses(ax, params, *, n_std=(1.0, 2.0), alpha=0.9):
    """Draw the 1- and 2-standard-deviation ellipses of every 2-D component.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    params : GMMParams or GMMResult
        A two-dimensional mixture (any covariance type).
    n_std : sequence of float
        Which Mahalanobis radii to draw.

    Returns
    -------
    ax
    """
    from matplotlib.patches import Ellipse

    params = getattr(params, "params", params)
    if params.n_features != 2:
        raise ValueError(f"ellipses need a 2-D mixture; got {params.n_features} features")
    covs = params.full_covariances()
    for k, (mu, Sigma) in enumerate(zip(params.means, covs)):
        for c in n_std:
            w, h, angle = ellipse_axes(Sigma, c)
            ax.add_patch(
                Ellipse(
                    mu, w, h, angle=angle, fill=False, lw=2.0 if c == n_std[0] else 1.0,
                    ls="-" if c == n_std[0] else "--", color=cluster_color(k), alpha=alpha,
                )
            )
        ax.plot(*mu, marker="+", color="black", ms=10, mew=2)
    return ax


#: Marker of each covariance type in :func:`plot_criterion`.
COVARIANCE_MARKERS = {"full": "o", "tied": "s", "diag": "^", "spherical": "D"}


def plot_criterion(ax, selection, criterion=None, *, mark_best=True):
    """Information criterion against K, one line per covariance type (as mclust draws BIC).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    selection : GMMSelection
        From :func:`companion.select_gmm`.
    criterion : {"bic", "icl", "aic"}, optional
        Default: the criterion the selection used.  Lower is better.
    mark_best : bool, default True
        Ring the chosen model (when ``criterion`` is the one it was chosen by).

    Degenerate fits (``selection.degenerate``) are drawn as hollow markers,
    not joined to the line: they are spurious, and the selection skips them.

    Returns
    -------
    ax
    """
    name = criterion or selection.criterion
    values = selection.values(name)
    ks = np.asarray(selection.n_components)
    for j, ctype in enumerate(selection.covariance_types):
        color = CLUSTER_COLORS[j % len(CLUSTER_COLORS)]
        marker = COVARIANCE_MARKERS.get(ctype, "o")
        ok = ~np.asarray(selection.degenerate[:, j])
        line = np.where(ok, values[:, j], np.nan)
        ax.plot(ks, line, marker=marker, color=color, label=ctype)
        if (~ok).any():
            ax.plot(ks[~ok], values[~ok, j], ls="none", marker=marker, mfc="white", color=color)
    if mark_best and name == selection.criterion:
        i, j = selection.best_index
        ax.plot(ks[i], values[i, j], ls="none", marker="o", ms=16, mfc="none", mec="black", mew=1.5)
    ax.set_xlabel("number of components $K$")
    ax.set_ylabel(f"{name.upper()} (lower is better)")
    ax.set_xticks(ks)
    ax.legend(title="covariance type")
    return ax


# --- animations -------------------------------------------------------------
#
# Each ``animate_*`` helper returns a matplotlib ``FuncAnimation`` drawn from a
# fit's ``history``; :func:`animation_html` turns it into self-contained HTML
# (frames embedded as PNG, player in plain JavaScript) that plays in the online
# book without a kernel and offline.


def animation_html(anim, name, *, alt=None):
    """Self-contained HTML for ``anim`` with element ids derived from ``name``.

    matplotlib's ``to_jshtml`` names the player's elements with a random
    UUID; replacing it by ``name`` (unique per page) makes the output
    identical on every run, so executed notebooks can be compared.

    Parameters
    ----------
    anim : matplotlib.animation.Animation
    name : str
        Letters, digits and underscores; unique within the page.
    alt : str, optional
        Alt text of the player's image: what the animation shows, for readers
        who cannot see it.

    Returns
    -------
    str
    """
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"name must be letters, digits and underscores; got {name!r}")
    import matplotlib

    # frames at the figure's own dpi (the book style saves figures at 200 dpi,
    # which would make every embedded frame four times larger)
    with matplotlib.rc_context({"savefig.dpi": "figure", "savefig.bbox": None}):
        html = anim.to_jshtml(default_mode="once")
    ids = set(re.findall(r"_anim_img([0-9a-f]{32})", html))
    for uid in ids:
        html = html.replace(uid, name)
    # matplotlib links Font Awesome from a CDN for the button icons; the book
    # must work offline, so drop the link and draw the icons as plain text
    html = re.sub(r"<link rel=\"stylesheet\"\s+href=\"https?://[^\"]*\"\s*/?>", "", html)
    for icon, text in _BUTTON_TEXT.items():
        html = html.replace(f'<i class="fa {icon}"></i>', text)
    if alt is not None:
        import html as html_module

        html = html.replace(f'<img id="_anim_img{name}"', f'<img id="_anim_img{name}" alt="{html_module.escape(alt)}"', 1)
    return html


_BUTTON_TEXT = {
    "fa-minus": "&minus;",
    "fa-fast-backward": "&#x23EE;",
    "fa-step-backward": "&#x23F4;&#x2759;",
    "fa-play fa-flip-horizontal": "&#x25C0;",
    "fa-pause": "&#x23F8;",
    "fa-play": "&#x25B6;",
    "fa-step-forward": "&#x2759;&#x23F5;",
    "fa-fast-forward": "&#x23ED;",
    "fa-plus": "+",
}


#: Size of animation frames: text at the book style's size (10 pt = 14 px) in
#: a frame of 560 x 440 CSS px.  Every frame is embedded in the page as a PNG,
#: so frames stay at 100 dpi (one frame is about 30-60 kB).
ANIMATION_FIGSIZE = (5.6, 4.4)
ANIMATION_DPI = 100


def _animation_axes(X, figsize, dpi):
    """A figure for animation frames: fixed margins (no re-layout per frame) and limits that fit ``X``."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.12, top=0.91)
    _frame_limits(ax, X)
    return fig, ax


def _frame_indices(n_steps, max_frames):
    """At most ``max_frames`` evenly spaced indices into ``n_steps`` steps, first and last included."""
    return np.unique(np.linspace(0, n_steps - 1, min(n_steps, max_frames)).round().astype(int))


def _frame_limits(ax, X, pad=0.05):
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.maximum(hi - lo, 1e-12)
    ax.set_xlim(lo[0] - pad * span[0], hi[0] + pad * span[0])
    ax.set_ylim(lo[1] - pad * span[1], hi[1] + pad * span[1])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


@_in_book_style
def animate_kmeans(X, result, *, interval=700, figsize=ANIMATION_FIGSIZE, dpi=ANIMATION_DPI):
    """Lloyd's iterations: frame ``t`` shows the centres ``history.centers[t]`` and the labels they induce.

    Parameters
    ----------
    X : array_like, shape (n_samples, 2)
    result : KMeansResult
    interval : int
        Milliseconds per frame.
    figsize, dpi
        Size of the frames; the defaults :data:`ANIMATION_FIGSIZE` and
        :data:`ANIMATION_DPI` show the book style's text at >= 11 px.

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    from .kmeans import assign

    X = np.asarray(X, dtype=np.float64)
    h = result.history
    fig, ax = _animation_axes(X, figsize, dpi)
    dots = ax.scatter(X[:, 0], X[:, 1], s=8, linewidths=0)
    k = h.centers.shape[1]
    marks = [ax.plot([], [], marker="X", ms=13, color=cluster_color(j), mec="black", ls="-", lw=1)[0] for j in range(k)]
    title = ax.set_title("")

    def draw(t):
        labels = assign(X, h.centers[t])
        dots.set_color([cluster_color(j) for j in labels])
        for j, m in enumerate(marks):
            m.set_data(h.centers[: t + 1, j, 0], h.centers[: t + 1, j, 1])
            m.set_markevery([t])
        title.set_text(f"iteration {t}:  J = {h.objective[t]:.1f}")
        return [dots, *marks, title]

    anim = FuncAnimation(fig, draw, frames=h.centers.shape[0], interval=interval, blit=False)
    plt.close(fig)
    return anim


@_in_book_style
def animate_gmm(X, result, *, interval=400, figsize=ANIMATION_FIGSIZE, dpi=ANIMATION_DPI, max_frames=25):
    """EM's iterations: the 1- and 2-standard-deviation ellipses of every component moving.

    Parameters
    ----------
    X : array_like, shape (n_samples, 2)
    result : GMMResult
    interval : int
        Milliseconds per frame.
    figsize, dpi
        Size of the frames; the defaults :data:`ANIMATION_FIGSIZE` and
        :data:`ANIMATION_DPI` show the book style's text at >= 11 px.
    max_frames : int
        Longer histories are subsampled (first and last iteration kept).

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation
    from matplotlib.patches import Ellipse

    from .gaussians import GMMParams

    X = np.asarray(X, dtype=np.float64)
    h = result.history
    frames = _frame_indices(h.means.shape[0], max_frames)
    fig, ax = _animation_axes(X, figsize, dpi)
    ax.scatter(X[:, 0], X[:, 1], s=6, color="0.55", linewidths=0)
    k = h.means.shape[1]
    patches = []
    for j in range(k):
        for c, ls, lw in ((1.0, "-", 2.0), (2.0, "--", 1.0)):
            e = Ellipse((0, 0), 1, 1, fill=False, ls=ls, lw=lw, color=cluster_color(j))
            ax.add_patch(e)
            patches.append((j, c, e))
    title = ax.set_title("")

    def draw(i):
        t = frames[i]
        p = GMMParams(h.weights[t], h.means[t], h.covariances[t], result.covariance_type)
        covs = p.full_covariances()
        for j, c, e in patches:
            w, hgt, angle = ellipse_axes(covs[j], c)
            e.set_center(p.means[j])
            e.set_width(w)
            e.set_height(hgt)
            e.set_angle(angle)
        title.set_text(f"iteration {t}:  log-likelihood = {h.log_likelihood[t]:.1f}")
        return [e for _, _, e in patches] + [title]

    anim = FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)
    plt.close(fig)
    return anim


@_in_book_style
def animate_annealing(X, result, *, interval=200, figsize=ANIMATION_FIGSIZE, dpi=ANIMATION_DPI, max_frames=30):
    """The annealing sweep: soft k-means means at each :math:`\\sigma`, with circles of radius :math:`\\sigma`.

    Parameters
    ----------
    X : array_like, shape (n_samples, 2)
    result : AnnealingResult
    interval : int
        Milliseconds per frame.
    figsize, dpi
        Size of the frames; the defaults :data:`ANIMATION_FIGSIZE` and
        :data:`ANIMATION_DPI` show the book style's text at >= 11 px.
    max_frames : int
        Longer schedules are subsampled (first and last step kept).

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation
    from matplotlib.patches import Circle

    X = np.asarray(X, dtype=np.float64)
    frames = _frame_indices(result.sigmas.shape[0], max_frames)
    fig, ax = _animation_axes(X, figsize, dpi)
    ax.scatter(X[:, 0], X[:, 1], s=6, color="0.6", linewidths=0)
    k = result.means.shape[1]
    circles = [ax.add_patch(Circle((0, 0), 1, fill=False, color=cluster_color(j), lw=1.5)) for j in range(k)]
    marks = [ax.plot([], [], marker="X", ms=12, color=cluster_color(j), mec="black", ls="")[0] for j in range(k)]
    title = ax.set_title("")

    def draw(i):
        s = frames[i]
        mu = result.means[s]
        for j in range(k):
            circles[j].set_center(mu[j])
            circles[j].set_radius(result.sigmas[s])
            marks[j].set_data([mu[j, 0]], [mu[j, 1]])
        title.set_text(f"$\\sigma$ = {result.sigmas[s]:.3g}")
        return circles + marks + [title]

    anim = FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)
    plt.close(fig)
    return anim
