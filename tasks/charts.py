"""Charts and the hotspot map for the products, drawn with matplotlib and written as SVG files.

Each function takes plain figures (already computed by the indicators), draws one chart and writes it to the
given path; nothing here queries the warehouse or decides what is significant. Text is kept as SVG text
(escaped by matplotlib), so names from the data are shown, never interpreted. The map is drawn from the rows'
own coordinates projected to the British National Grid, over the LSOA and force boundaries when given
(`MapLayers`); a tile base map is drawn only when a tile URL is configured, and a map still renders without one
or without a network.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mpl_toolkits.axes_grid1 import make_axes_locatable  # noqa: E402
from pyproj import Transformer  # noqa: E402

INK = "#1f2933"
MUTED = "#7b8794"
ACCENT = "#b42318"
BASE = "#2f5d8a"
LIGHT = "#c9d6e3"
PALETTE = ["#2f5d8a", "#b42318", "#d88c00", "#3b8b5a", "#6b4c9a", "#8a6d3b", "#4f9bb8", "#9a4c7a"]

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

plt.rcParams.update({
    "svg.fonttype": "none",          # keep text as text: smaller files, selectable and searchable in the PDF
    "svg.hashsalt": "tasking",        # stable element ids, so the same figures give the same file
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
})


@dataclass
class MapLayers:
    """What a map draws under the data: LSOA polygons and the force area (shapely, British National Grid), the
    attribution their licence requires, and an optional tile base map (a URL template with {z}/{x}/{y})."""
    lsoas: Sequence = field(default_factory=list)
    force_area: object | None = None
    area: object | None = None  # the product's own area when it is part of the force (a problem profile's)
    attribution: str = ""
    tile_url: str | None = None
    tile_attribution: str = ""


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None}, dpi=200)
    plt.close(fig)
    return path


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def monthly_trend(
    path: Path,
    months: Sequence,
    series: dict[str, Sequence[float]],
    *,
    title: str,
    ylabel: str = "crimes recorded",
    shade_from=None,
    shade_label: str = "assessment period",
) -> Path:
    """One line per series over the months; the assessment period shaded when `shade_from` is given."""
    fig, ax = plt.subplots(figsize=(7.2, 2.9))
    x = np.array(months, dtype="datetime64[D]")
    for index, (name, values) in enumerate(series.items()):
        ax.plot(x, values, color=PALETTE[index % len(PALETTE)], linewidth=1.6, marker="o" if len(x) <= 12 else None,
                markersize=3, label=_short(str(name)))
    if shade_from is not None and len(x):
        start = np.datetime64(shade_from, "D") - np.timedelta64(15, "D")
        ax.axvspan(start, x.max() + np.timedelta64(15, "D"), color=LIGHT, alpha=0.6, linewidth=0, label=shade_label)
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e4e7eb", linewidth=0.6)
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=max(1, int(np.ceil(len(x) / 9)))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    if len(x):
        ax.set_xlim(x.min() - np.timedelta64(20, "D"), x.max() + np.timedelta64(20, "D"))
    if len(series) > 1 or shade_from is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)
    return _save(fig, path)


def observed_vs_expected(
    path: Path,
    labels: Sequence[str],
    observed: Sequence[float],
    expected: Sequence[float],
    flagged: Sequence[bool],
    *,
    title: str,
) -> Path:
    """Horizontal bars of the latest count against the baseline expectation; flagged rows in red."""
    n = len(labels)
    fig, ax = plt.subplots(figsize=(7.2, 0.32 * n + 1.0))
    y = np.arange(n)[::-1]
    colours = [ACCENT if f else BASE for f in flagged]
    ax.barh(y, observed, color=colours, height=0.6)
    ax.scatter(expected, y, marker="|", s=160, color=INK, linewidths=2, zorder=3)
    ax.set_yticks(y, [_short(str(label)) for label in labels])
    ax.set_title(title, loc="left")
    ax.set_xlabel("crimes in the period")
    ax.set_axisbelow(True)
    ax.grid(axis="x", color="#e4e7eb", linewidth=0.6)
    # Built by hand: the automatic entry for the bars takes the colour of whichever bar came first.
    handles = [plt.Rectangle((0, 0), 1, 1, color=BASE),
               plt.Line2D([], [], marker="|", linestyle="none", markersize=10, markeredgewidth=2, color=INK)]
    names = ["recorded", "baseline expectation"]
    if any(flagged):
        handles.append(plt.Rectangle((0, 0), 1, 1, color=ACCENT))
        names.append("recorded, exceptional (p < 0.01)")
    # Under the chart, clear of the bars (the figure is cropped to its contents when saved).
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.55, 0.0), ncol=len(handles), fontsize=7.5)
    return _save(fig, path)


def horizontal_bars(path: Path, labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str,
                    highlight: Sequence[bool] | None = None, value_format: str = "{:,.0f}") -> Path:
    n = len(labels)
    fig, ax = plt.subplots(figsize=(7.2, 0.3 * n + 0.9))
    y = np.arange(n)[::-1]
    colours = [ACCENT if h else BASE for h in (highlight or [False] * n)]
    ax.barh(y, values, color=colours, height=0.62)
    ax.set_yticks(y, [_short(str(label), 44) for label in labels])
    top = max(values) if len(values) else 0
    for yi, value in zip(y, values):
        ax.text(value + top * 0.01, yi, value_format.format(value), va="center", fontsize=7.5, color=INK)
    ax.set_xlim(0, top * 1.12 if top else 1)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    return _save(fig, path)


def seasonality(path: Path, month_numbers: Sequence[int], series: dict[str, Sequence[float]], *, title: str) -> Path:
    """Index by calendar month (100 = the average month) for each series."""
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    for index, (name, values) in enumerate(series.items()):
        ax.plot(month_numbers, values, color=PALETTE[index % len(PALETTE)], linewidth=1.5, marker="o", markersize=3,
                label=_short(str(name)))
    ax.axhline(100, color=MUTED, linewidth=0.8, linestyle="--")
    ax.set_xticks(range(1, 13), names)
    ax.set_ylabel("index (100 = average month)")
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)
    return _save(fig, path)


def priority_matrix(path: Path, labels: Sequence[str], harm: Sequence[float], volume: Sequence[float],
                    band: Sequence[str], *, title: str, xlabel: str, ylabel: str, named: int = 8) -> Path:
    """Harm against volume, one point per issue in rank order, coloured by priority band.

    Square-root axes: one type often holds most of the harm, and linear axes would pile the rest in a corner.
    The first `named` points carry their rank and name, the rest their rank only (the table lists them all).
    """
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    bands = list(dict.fromkeys(band))
    colour_of = {b: PALETTE[i % len(PALETTE)] for i, b in enumerate(bands)}
    for b in bands:
        idx = [i for i, value in enumerate(band) if value == b]
        ax.scatter([volume[i] for i in idx], [harm[i] for i in idx], s=40, color=colour_of[b], label=b, zorder=3)
    for rank, (x, y, label) in enumerate(zip(volume, harm, labels), start=1):
        text = f"{rank} {_short(str(label), 30)}" if rank <= named else str(rank)
        ax.annotate(text, (x, y), xytext=(5, 3 if rank % 2 else -9), textcoords="offset points", fontsize=7, color=INK)
    ax.set_xscale("function", functions=(np.sqrt, np.square))
    ax.set_yscale("function", functions=(np.sqrt, np.square))
    ax.set_xlim(0, max(volume) * 1.45 if len(volume) else 1)  # room for the names of the right-most points
    ax.set_ylim(0, max(harm) * 1.15 if len(harm) else 1)
    ax.grid(color="#e4e7eb", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(title="priority score", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=len(bands), fontsize=7.5,
              title_fontsize=7.5)
    return _save(fig, path)


def hotspot_map(
    path: Path,
    longitude: Sequence[float],
    latitude: Sequence[float],
    hotspots: Sequence[tuple[float, float, str]],
    *,
    title: str,
    density: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    layers: MapLayers | None = None,
) -> Path:
    """Two panels: the whole area with every located crime, and a close-up of the numbered hotspots over the
    density surface (a force-wide view shrinks hotspots a few hundred metres across to a single blot).

    Coordinates are projected to the British National Grid so distances are true metres; `hotspots` are
    (longitude, latitude, label) in rank order; `density` is (cell centre x, cell centre y, values[y, x]) on
    the British National Grid, as the KDE indicator gives it. With `layers`, LSOA boundaries and the force
    boundary are drawn under the data, every hot spot's label is listed in a key under the map, and the
    attribution is printed at the foot.
    """
    lon = np.asarray(longitude, dtype=float)
    lat = np.asarray(latitude, dtype=float)
    keep = np.isfinite(lon) & np.isfinite(lat)
    x, y = _TO_BNG.transform(lon[keep], lat[keep])
    hx, hy = (_TO_BNG.transform(np.array([h[0] for h in hotspots], float), np.array([h[1] for h in hotspots], float))
              if hotspots else (np.array([]), np.array([])))
    layers = layers or MapLayers()
    outlines = _outline_segments(layers.lsoas)
    force_outline = _outline_segments([layers.force_area] if layers.force_area is not None else [])
    area_outline = _outline_segments([layers.area] if layers.area is not None else [])
    if outlines:
        # The area's own LSOAs frame the map: crimes snapped outside it do not stretch it.
        corners = np.concatenate(outlines)
        x_lo, y_lo = corners.min(axis=0)
        x_hi, y_hi = corners.max(axis=0)
    elif len(x):
        # Frame the bulk of the area: a handful of rows snapped far outside would shrink everything else.
        x_lo, x_hi = np.percentile(x, [0.5, 99.5])
        y_lo, y_hi = np.percentile(y, [0.5, 99.5])
    else:
        x_lo, x_hi, y_lo, y_hi = (hx.min(), hx.max(), hy.min(), hy.max()) if len(hx) else (0, 1000, 0, 1000)
    span = max(x_hi - x_lo, y_hi - y_lo, 400)
    pad = span * 0.05
    whole = (x_lo - pad, x_hi + pad, y_lo - pad, y_hi + pad)
    extent = whole
    if len(hx):
        # Close in on the leading hotspot and those within 3 km of it; the rest are numbered on the overview.
        near = np.hypot(hx - hx[0], hy - hy[0]) <= 3000
        lead_x, lead_y = hx[near], hy[near]
        half = max(lead_x.max() - lead_x.min(), lead_y.max() - lead_y.min(), 1500) / 2 * 1.3
        cx, cy = (lead_x.max() + lead_x.min()) / 2, (lead_y.max() + lead_y.min()) / 2
        extent = (cx - half, cx + half, cy - half, cy + half)
    labels = [str(h[2]) for h in hotspots] if layers.attribution or outlines else []
    if 2 * (extent[1] - extent[0]) >= span:
        # A small area (a city centre, a profile's few streets): the close-up would show it all, so one panel.
        fig, close = plt.subplots(figsize=(6.2, 5.0))
        extent = whole
        close_title = None
    else:
        fig, (overview, close) = plt.subplots(1, 2, figsize=(7.4, 4.6), gridspec_kw={"width_ratios": [1, 1.35]})
        _draw_outlines(overview, outlines, force_outline, area_outline, fine=True)
        _points_panel(overview, x, y, whole, dot=1.2)
        overview.set_title("Whole area (box: close-up)", loc="left", fontsize=8.5)
        overview.add_patch(plt.Rectangle((extent[0], extent[2]), extent[1] - extent[0], extent[3] - extent[2],
                                         fill=False, edgecolor=ACCENT, linewidth=1.2, zorder=5))
        for rank, (px, py) in enumerate(zip(hx, hy), start=1):
            if not (extent[0] <= px <= extent[1] and extent[2] <= py <= extent[3]):
                _marker(overview, px, py, rank, size=90)
        close_title = "Close-up on hot spot 1"
    _draw_outlines(close, outlines, force_outline, area_outline, fine=False)
    if density is not None and np.size(density[2]) and np.nanmax(density[2]) > 0:
        grid_x, grid_y, values = density
        top = float(np.nanmax(values))
        # The lowest band starts at a tenth of the peak so the faint tails do not wash over the whole area.
        contours = close.contourf(grid_x, grid_y, values, levels=np.linspace(top * 0.1, top, 7), cmap="Reds",
                                  alpha=0.55, zorder=3)
        contours.set_rasterized(True)
        # A colour bar in its own axes beside the map, so it is exactly as tall as the (equal-aspect) map.
        _points_panel(close, x, y, extent, dot=3.0)
        bar = fig.colorbar(contours, cax=make_axes_locatable(close).append_axes("right", size="4%", pad=0.08))
        bar.set_label("crimes per km² (kernel density)", fontsize=7)
        bar.ax.tick_params(labelsize=6.5)
    else:
        _points_panel(close, x, y, extent, dot=3.0)
    for rank, (px, py) in enumerate(zip(hx, hy), start=1):
        if extent[0] <= px <= extent[1] and extent[2] <= py <= extent[3]:
            _marker(close, px, py, rank, size=150)
    if layers.tile_url:
        _basemap(close, layers.tile_url, layers.tile_attribution)
    close.annotate("N", xy=(0.93, 0.95), xytext=(0.93, 0.84), xycoords="axes fraction", ha="center", fontsize=8,
                   fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": INK})
    if close_title is None:  # one panel: the figure title sits on it, not floating above a short map
        close.set_title(title, loc="left", fontsize=9.5, fontweight="bold")
    else:
        close.set_title(close_title if len(hx) else "Located crimes (no hot spot at 99%)", loc="left", fontsize=8.5)
        fig.suptitle(title, x=0.02, ha="left", fontsize=9.5, fontweight="bold")
    _key_and_attribution(fig, labels, layers, outlines, force_outline, area_outline)
    return _save(fig, path)


def _outline_segments(geometries) -> list[np.ndarray]:
    """Every ring of every polygon as an (n, 2) array of BNG coordinates."""
    import shapely

    rings = []
    for geometry in geometries:
        if geometry is None or geometry.is_empty:
            continue
        for part in shapely.get_parts(shapely.boundary(geometry)):
            rings.append(shapely.get_coordinates(part))
    return rings


def _draw_outlines(ax, lsoas: list[np.ndarray], force: list[np.ndarray], area: list[np.ndarray], *,
                   fine: bool) -> None:
    """LSOA boundaries in light grey, the force boundary in dark ink, the product's own area dashed in red."""
    from matplotlib.collections import LineCollection

    if lsoas:
        ax.add_collection(LineCollection(lsoas, colors="#9aa5b1", linewidths=0.25 if fine else 0.5, zorder=1))
    if force:
        ax.add_collection(LineCollection(force, colors=INK, linewidths=0.9 if fine else 1.4, zorder=4))
    if area:
        ax.add_collection(LineCollection(area, colors=ACCENT, linewidths=0.9 if fine else 1.3, linestyles="--",
                                         zorder=4))


def _basemap(ax, url: str, attribution: str) -> None:
    """A tile base map from the configured server; without a network the map is drawn without it and says so."""
    try:
        import contextily

        contextily.add_basemap(ax, source=url, crs="EPSG:27700", attribution=attribution or False, zorder=0)
    except Exception as error:  # no network, server down, bad URL: the map must still be drawn
        ax.text(0.01, 0.99, f"base map unavailable ({type(error).__name__})", transform=ax.transAxes, ha="left",
                va="top", fontsize=6, color=MUTED, zorder=8)


def _key_and_attribution(fig, labels: list[str], layers: MapLayers, lsoas: list, force: list, area: list) -> None:
    """Under the map: what each number is (street and LSOA, readable without the table), what the lines are,
    and the attribution the boundaries' licence requires. Placed just under the lowest map panel (the panels
    keep an equal aspect, so their drawn height is known only once laid out); the saved figure grows to fit."""
    import textwrap

    fig.canvas.draw()  # lays out the equal-aspect panels and the colour bar's locator
    bottom = min(ax.get_position().y0 for ax in fig.axes)
    if fig._suptitle is not None:  # keep the title on the panels, not floating above an equal-aspect map
        top = max(ax.get_position().y1 for ax in fig.axes)
        fig._suptitle.set_y(min(0.98, top + 0.3 / fig.get_figheight()))
        fig._suptitle.set_va("bottom")
    height_in = fig.get_figheight()
    line = (7 / 72) / height_in  # one 7 pt line, as a fraction of the figure's height
    y = bottom - 1.0 * line
    lines = [f"{rank}  {_short(label, 60)}" for rank, label in enumerate(labels, start=1)]
    half = int(np.ceil(len(lines) / 2))
    for column, chunk in enumerate((lines[:half], lines[half:])):
        if chunk:
            fig.text(0.02 + 0.5 * column, y, "\n".join(chunk), ha="left", va="top", fontsize=7, color=INK,
                     linespacing=1.35)
    y -= line * 1.4 * half + (0.8 * line if half else 0)
    legend = []
    if lsoas:
        legend.append("grey lines: LSOA boundaries")
    if force:
        legend.append("dark line: force boundary")
    if area:
        legend.append("dashed red line: the area of this product")
    if legend or layers.attribution:
        text = "; ".join(legend) + (". " if legend else "") + layers.attribution
        fig.text(0.02, y, "\n".join(textwrap.wrap(text, 130)), ha="left", va="top", fontsize=6, color=MUTED)


def _marker(ax, x, y, rank: int, *, size: float) -> None:
    ax.scatter([x], [y], s=size, facecolor="white", edgecolor=ACCENT, linewidths=1.4, zorder=6)
    ax.text(x, y, str(rank), ha="center", va="center", fontsize=6.5 if size > 100 else 5.5, fontweight="bold",
            color=ACCENT, zorder=7)


def _points_panel(ax, x, y, extent, *, dot: float) -> None:
    # Thousands of dots as vectors make a slow, heavy PDF page: they are embedded as an image instead.
    ax.scatter(x, y, s=dot, color=MUTED, alpha=0.45, linewidths=0, zorder=2, rasterized=True)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color(MUTED)
    _scale_bar(ax)


def _scale_bar(ax) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = (x1 - x0) / 4
    nice = [50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000]
    length = max([n for n in nice if n <= span] or [nice[0]])
    left, base = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.plot([left, left + length], [base, base], color=INK, linewidth=2.5, solid_capstyle="butt", zorder=6)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    ax.text(left + length / 2, base + (y1 - y0) * 0.015, label, ha="center", va="bottom", fontsize=7.5, color=INK, zorder=6)


def forecast_panels(path: Path, panels: Sequence[dict], *, title: str) -> Path:
    """One small panel per series: the months held (line), the forecast (dashed) with its 80% (darker) and 95%
    (lighter) prediction intervals, and a dotted line where a break starts the months the forecast was fitted to.

    Each panel: {"name", "months", "history", "future", "mean", "lo80", "hi80", "lo95", "hi95", "fitted_from"}
    (months and future as dates; fitted_from a date or None).
    """
    count = max(len(panels), 1)
    columns = 1 if count == 1 else 2
    rows = int(np.ceil(count / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(7.2, 2.15 * rows + 0.35), squeeze=False, sharex=True)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    for ax, panel in zip(axes.ravel(), panels):
        x = np.array(panel["months"], dtype="datetime64[D]")
        fx = np.array(panel["future"], dtype="datetime64[D]")
        # The forecast joins the last month held so the two read as one line.
        jx = np.concatenate([x[-1:], fx])
        last = np.asarray(panel["history"], float)[-1:]
        ax.fill_between(jx, np.r_[last, panel["lo95"]], np.r_[last, panel["hi95"]], color=LIGHT, linewidth=0,
                        label="95% interval")
        ax.fill_between(jx, np.r_[last, panel["lo80"]], np.r_[last, panel["hi80"]], color="#8fa9c4", linewidth=0,
                        label="80% interval")
        ax.plot(x, panel["history"], color=INK, linewidth=1.3, label="recorded")
        ax.plot(jx, np.r_[last, panel["mean"]], color=ACCENT, linewidth=1.4, linestyle="--", label="forecast")
        if panel.get("fitted_from") is not None:
            ax.axvline(np.datetime64(panel["fitted_from"], "D"), color=MUTED, linestyle=":", linewidth=1.1,
                       label="break: fitted from here")
        ax.set_title(_short(str(panel["name"]), 44), loc="left", fontsize=8.5)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#e4e7eb", linewidth=0.6)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
        ax.tick_params(labelsize=7, labelbottom=True)  # a panel with none below it keeps its month labels
    handles, labels = [], []
    for ax in axes.ravel()[:len(panels)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=7.5, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(title, x=0.02, ha="left", fontsize=9.5, fontweight="bold")
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    return _save(fig, path)


EMERGING_COLOURS = {
    "new": "#d88c00", "consecutive": "#f2b134", "intensifying": "#b42318", "persistent": "#e06c5a",
    "diminishing": "#f3b8ad", "sporadic": "#6b4c9a", "oscillating": "#9a7fc4", "historical": "#7b8794",
}


def emerging_map(path: Path, cell_x: Sequence[float], cell_y: Sequence[float], patterns: Sequence[str],
                 cell_size_m: float, *, title: str, context_x: Sequence[float] = (), context_y: Sequence[float] = (),
                 context_crimes: Sequence[float] = (), labels: Sequence[str] = ()) -> Path:
    """Grid cells coloured by emerging hot spot class (British National Grid metres) over the cells with located
    crime (grey dots sized by crimes) for orientation; cells with no pattern are not drawn; `labels` (one per
    cell, "" for none) number the cells a table lists. The map is framed on
    the classed cells (or, with none, on where the bulk of the crime is), so a few far-off points do not shrink it."""
    fig, ax = plt.subplots(figsize=(6.2, 5.0))
    cx, cy = np.asarray(context_x, float), np.asarray(context_y, float)
    weight = np.asarray(context_crimes, float) if len(context_crimes) else np.ones(cx.size)
    x, y = np.asarray(cell_x, float), np.asarray(cell_y, float)
    if x.size:
        x_lo, x_hi, y_lo, y_hi = x.min(), x.max(), y.min(), y.max()
    elif cx.size:
        # The middle 98% of crimes, weighted: mis-snapped points far away do not set the frame.
        order_x, order_y = np.argsort(cx), np.argsort(cy)
        cum_x, cum_y = np.cumsum(weight[order_x]) / weight.sum(), np.cumsum(weight[order_y]) / weight.sum()
        x_lo, x_hi = cx[order_x][np.searchsorted(cum_x, [0.01, 0.99]).clip(0, cx.size - 1)]
        y_lo, y_hi = cy[order_y][np.searchsorted(cum_y, [0.01, 0.99]).clip(0, cy.size - 1)]
    else:
        x_lo, x_hi, y_lo, y_hi = 0, 1000, 0, 1000
    span = max(x_hi - x_lo, y_hi - y_lo) + 6 * cell_size_m
    mid_x, mid_y = (x_lo + x_hi) / 2, (y_lo + y_hi) / 2
    extent = (mid_x - span / 2, mid_x + span / 2, mid_y - span / 2, mid_y + span / 2)
    _points_panel(ax, [], [], extent, dot=1.5)
    if cx.size:
        ax.scatter(cx, cy, s=2 + 18 * np.sqrt(weight / weight.max()), color=MUTED, alpha=0.5, linewidths=0,
                   zorder=2, rasterized=True)
    for pattern, colour in EMERGING_COLOURS.items():
        chosen = np.asarray(patterns) == pattern
        for px, py in zip(x[chosen], y[chosen]):
            ax.add_patch(plt.Rectangle((px - cell_size_m / 2, py - cell_size_m / 2), cell_size_m, cell_size_m,
                                       facecolor=colour, edgecolor="white", linewidth=0.4, alpha=0.85, zorder=4))
        if chosen.any():
            ax.scatter([], [], marker="s", s=40, color=colour, label=f"{pattern} ({int(chosen.sum())})")
    for px, py, label in zip(x, y, labels):
        if label:
            _marker(ax, px, py, label, size=110)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5, title="class (cells)", title_fontsize=7.5)
    ax.annotate("N", xy=(0.93, 0.95), xytext=(0.93, 0.84), xycoords="axes fraction", ha="center", fontsize=8,
                fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": INK})
    ax.set_title(title, loc="left", fontsize=9.5, fontweight="bold")
    return _save(fig, path)


def rate_against_group(path: Path, labels: Sequence[str], rates: Sequence[float], lows: Sequence[float],
                       highs: Sequence[float], means: Sequence[float], flagged: Sequence[bool], *, title: str,
                       xlabel: str = "crimes per 1,000 residents") -> Path:
    """One row per crime type: the group's range as a grey bar, its average as a tick, the force as a dot (red
    when outside the range). Square-root axis: violence runs to tens per 1,000, bicycle theft to tenths."""
    n = len(labels)
    fig, ax = plt.subplots(figsize=(7.2, 0.3 * n + 1.1))
    y = np.arange(n)[::-1]
    lows, highs = np.asarray(lows, float), np.asarray(highs, float)
    known = np.isfinite(lows) & np.isfinite(highs)
    ax.hlines(y[known], lows[known], highs[known], color=LIGHT, linewidth=7, zorder=1)
    ax.scatter(means, y, marker="|", s=120, color=INK, linewidths=1.6, zorder=2)
    ax.scatter(rates, y, s=30, color=[ACCENT if f else BASE for f in flagged], zorder=3)
    ax.set_yticks(y, [_short(str(label), 36) for label in labels])
    ax.set_xscale("function", functions=(np.sqrt, np.square))
    top = np.nanmax(np.concatenate([np.asarray(rates, float), highs, np.asarray(means, float)])) if n else 1.0
    limit = top * 1.08 if np.isfinite(top) and top > 0 else 1
    ax.set_xlim(0, limit)
    # Ticks where a square-root axis needs them: the small rates would otherwise share one unlabelled stretch.
    ticks = [t for t in (0, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if t <= limit]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.grid(axis="x", color="#e4e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    handles = [plt.Line2D([], [], color=LIGHT, linewidth=7), plt.Line2D([], [], marker="|", linestyle="none",
                                                                        markersize=9, markeredgewidth=1.6, color=INK),
               plt.Line2D([], [], marker="o", linestyle="none", color=BASE),
               plt.Line2D([], [], marker="o", linestyle="none", color=ACCENT)]
    fig.legend(handles, ["similar forces' range", "their average", "this force", "outside the range"],
               loc="upper center", bbox_to_anchor=(0.55, 0.0), ncol=4, fontsize=7.5)
    return _save(fig, path)


def emerging_lsoa_map(path: Path, polygons: Sequence, patterns: Sequence[str], *, title: str,
                      labels: Sequence[str] = (), layers: MapLayers | None = None) -> Path:
    """LSOA polygons (shapely, British National Grid) filled by emerging hot spot class over every LSOA boundary
    of the area (`layers`), numbered as a table lists them (`labels`, "" for none); LSOAs with no pattern are
    left unfilled. Framed on the area's LSOAs, with the force boundary, key and attribution as hotspot_map."""
    import shapely

    layers = layers or MapLayers()
    outlines = _outline_segments(layers.lsoas)
    force_outline = _outline_segments([layers.force_area] if layers.force_area is not None else [])
    area_outline = _outline_segments([layers.area] if layers.area is not None else [])
    classed = [polygon for polygon, pattern in zip(polygons, patterns) if pattern in EMERGING_COLOURS]
    # Framed on the classed LSOAs with a margin of their surroundings (a force-wide frame shrinks a city-centre
    # cluster to a blot under its numbers); on the whole area when none is classed.
    frame = np.concatenate(_outline_segments(classed) or outlines or _outline_segments(polygons)
                           or [np.array([[0.0, 0.0], [1000.0, 1000.0]])])
    (x_lo, y_lo), (x_hi, y_hi) = frame.min(axis=0), frame.max(axis=0)
    span = max(x_hi - x_lo, y_hi - y_lo, 400)
    span += 2 * max(0.15 * span, 1000.0) if classed else 0.05 * span
    mid_x, mid_y = (x_lo + x_hi) / 2, (y_lo + y_hi) / 2
    fig, ax = plt.subplots(figsize=(6.2, 5.0))
    _draw_outlines(ax, outlines, force_outline, area_outline, fine=len(outlines) > 300)
    _points_panel(ax, [], [], (mid_x - span / 2, mid_x + span / 2, mid_y - span / 2, mid_y + span / 2), dot=1.0)
    chosen_patterns = np.asarray(patterns, dtype=object)
    for pattern, colour in EMERGING_COLOURS.items():
        chosen = np.flatnonzero(chosen_patterns == pattern)
        for i in chosen:
            for part in shapely.get_parts(polygons[i]):
                ax.fill(*part.exterior.xy, facecolor=colour, edgecolor="white", linewidth=0.3, alpha=0.85, zorder=3)
        if len(chosen):
            ax.scatter([], [], marker="s", s=40, color=colour, label=f"{pattern} ({len(chosen)})")
    for polygon, label in zip(polygons, labels):
        if label:
            point = polygon.representative_point()
            _marker(ax, point.x, point.y, label, size=110)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5, title="class (LSOAs)", title_fontsize=7.5)
    ax.annotate("N", xy=(0.93, 0.95), xytext=(0.93, 0.84), xycoords="axes fraction", ha="center", fontsize=8,
                fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": INK})
    ax.set_title(title, loc="left", fontsize=9.5, fontweight="bold")
    _key_and_attribution(fig, [], layers, outlines, force_outline, area_outline)
    return _save(fig, path)
