"""The standalone HTML report (Bokeh `save`, resources inline so it opens offline).

It shows the table of results, the headline metrics next to the references,
one confusion matrix per method, and the 2-D maps coloured by true category
and by cluster. Categories get a marker shape as well as a colour, so colour
is never the only signal.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from bokeh.io import save
from bokeh.layouts import column, gridplot, row
from bokeh.models import ColumnDataSource, Div, FactorRange, HoverTool, Whisker
from bokeh.palettes import Blues256, Colorblind
from bokeh.plotting import figure
from bokeh.resources import INLINE
from bokeh.transform import factor_cmap, factor_mark, linear_cmap

from techwatch.protocol import MethodResult, Results
from techwatch.tables import HEADERS, REFERENCES, markdown, rows

MARKERS = ("circle", "square", "triangle", "diamond", "inverted_triangle", "star", "hex",
           "plus", "square_pin", "triangle_pin")
TITLE = "Technology watch: WordLlama vs TF-IDF on the product catalogue"


def _palette(n: int) -> list[str]:
    """Okabe-Ito colours, the pale yellow last as it barely shows on white."""
    base = [c for c in Colorblind[8] if c != "#F0E442"] + ["#F0E442"]
    return [base[i % len(base)] for i in range(n)]


def _table(results: Results) -> Div:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows(results))
    style = ("<style>table.tw{border-collapse:collapse;font-size:14px}"
             "table.tw td,table.tw th{border:1px solid #999;padding:4px 8px;text-align:left}"
             "table.tw th{background:#eee}</style>")
    caption = ("<caption>Mean ± sample standard deviation over the folds (accuracy, macro-F1) "
               "or the KMeans seeds (ARI). Reference rows are figures reported by earlier work "
               "on the same data set, not re-run here.</caption>")
    return Div(text=f"{style}<table class='tw' id='results'>{caption}<tr>{head}</tr>{body}</table>",
               width=1200)


def _intro(results: Results) -> Div:
    m, c = results.machine, results.config
    text = (f"<h1>{html.escape(TITLE)}</h1><p>{results.n_documents} products, "
            f"{len(results.categories)} categories ({html.escape(', '.join(results.categories))}). "
            f"Text = product name + description. Stratified {c['folds']}-fold cross-validation, "
            f"the same logistic regression (C by inner 3-fold CV) for both methods, KMeans with one "
            f"cluster per category over {c['kmeans_seeds']} seeds. Machine: {m['cpu_count']} cores, "
            f"load average at start {m['load_average_1_5_15']}, {c['threads']} BLAS thread(s); "
            f"scikit-learn {m['scikit_learn']}, wordllama {m['wordllama']}.</p>")
    return Div(text=text, width=1200)


def _metrics_figure(results: Results) -> figure:
    """Accuracy, macro-F1 and ARI of each method (± 1 std), then the references (hatched)."""
    metrics = ("accuracy", "macro_f1", "ari")
    keys = [m.key for m in results.methods] + [r.short for r in REFERENCES]
    palette = _palette(len(results.methods))
    data: dict[str, list] = {k: [] for k in ("x", "top", "low", "high", "colour", "hatch", "who")}

    def add(x: tuple[str, str], mean: float, std: float, colour: str, hatch: str, who: str) -> None:
        for key, value in zip(data, (x, mean, mean - std, mean + std, colour, hatch, who), strict=True):
            data[key].append(value)

    for metric in metrics:
        for i, result in enumerate(results.methods):
            s = result.summary()
            add((metric, result.key), s[f"{metric}_mean"], s[f"{metric}_std"], palette[i], " ",
                result.label)
        for ref in REFERENCES:
            value = {"accuracy": ref.accuracy, "ari": ref.ari}.get(metric)
            if value is not None:
                add((metric, ref.short), value, 0.0, "#dddddd", "/", ref.label)
    source = ColumnDataSource(data)
    fig = figure(x_range=FactorRange(*[(m, k) for m in metrics for k in keys]), y_range=(0, 1.05), height=360,
                 width=1000, toolbar_location=None,
                 title="Measured here (coloured, ± 1 std) and reported by earlier work (hatched)")
    bars = fig.vbar(x="x", top="top", width=0.8, source=source, fill_color="colour",
                    line_color="black", hatch_pattern="hatch", hatch_color="#555555")
    fig.add_layout(Whisker(source=source, base="x", lower="low", upper="high"))
    fig.xaxis.major_label_orientation = 0.6
    fig.add_tools(HoverTool(tooltips=[("", "@who"), ("value", "@top{0.000}")], renderers=[bars]))
    return fig


def _confusion_figure(result: MethodResult, categories: list[str]) -> figure:
    """Out-of-fold confusion matrix, counts written in each cell."""
    true, pred, count = [], [], []
    for i, t in enumerate(categories):
        for j, p in enumerate(categories):
            true.append(t)
            pred.append(p)
            count.append(result.confusion[i][j])
    top = max(count) or 1
    source = ColumnDataSource({"true": true, "pred": pred, "count": count,
                               "text_colour": ["white" if c > top / 2 else "black" for c in count]})
    fig = figure(x_range=categories, y_range=list(reversed(categories)), width=620, height=500,
                 title=f"Out-of-fold confusion: {result.label}", toolbar_location=None,
                 x_axis_label="predicted", y_axis_label="true")
    fig.rect(x="pred", y="true", width=1, height=1, source=source, line_color="white",
             fill_color=linear_cmap("count", list(reversed(Blues256)), 0, top))
    fig.text(x="pred", y="true", text="count", source=source, text_align="center",
             text_baseline="middle", text_color="text_colour", text_font_size="12px")
    fig.xaxis.major_label_orientation = 0.8
    fig.add_tools(HoverTool(tooltips=[("true", "@true"), ("predicted", "@pred"), ("count", "@count")]))
    return fig


def _map_figures(result: MethodResult, results: Results) -> list[figure]:
    """The t-SNE map twice: coloured (and shaped) by true category, then by KMeans cluster."""
    xy = result.map_xy or []
    columns = {"x": [p[0] for p in xy], "y": [p[1] for p in xy], "category": results.labels,
               "cluster": [f"cluster {c + 1}" for c in result.clusters],
               "name": [n[:80] for n in results.names]}
    figures = []
    for field in ("category", "cluster"):
        factors = sorted(set(columns[field]))
        order = sorted(range(len(xy)), key=lambda i: columns[field][i])  # legend in factor order
        source = ColumnDataSource({k: [v[i] for i in order] for k, v in columns.items()})
        fig = figure(width=600, height=460, title=f"{result.label}: t-SNE by {field}",
                     tools="pan,wheel_zoom,box_zoom,reset")
        fig.scatter("x", "y", source=source, size=6, alpha=0.8, legend_field=field,
                    color=factor_cmap(field, _palette(len(factors)), factors),
                    marker=factor_mark(field, list(MARKERS[: len(factors)]), factors))
        fig.legend.label_text_font_size = "9px"
        fig.add_layout(fig.legend[0], "right")
        fig.add_tools(HoverTool(tooltips=[("product", "@name"), ("category", "@category"),
                                          ("cluster", "@cluster")]))
        figures.append(fig)
    return figures


def write_report(results: Results, out_dir: Path) -> dict[str, Path]:
    """results.json, results.md and report.html in `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "markdown": out_dir / "results.md",
             "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(results.to_json(), indent=1, ensure_ascii=False),
                             encoding="utf-8")
    paths["markdown"].write_text(markdown(results), encoding="utf-8")
    confusions = row(*[_confusion_figure(m, results.categories) for m in results.methods])
    parts = [_intro(results), _table(results), _metrics_figure(results), confusions]
    maps = [_map_figures(m, results) for m in results.methods if m.map_xy is not None]
    if maps:
        parts.append(gridplot(maps, toolbar_location="right"))
    save(column(*parts), filename=paths["html"], resources=INLINE, title=TITLE)
    return paths
