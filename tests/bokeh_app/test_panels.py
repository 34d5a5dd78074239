"""Server-side callback tests of the comparison, scatter/brushing and what-if panels."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from bokeh.document import Document
from bokeh.events import SelectionGeometry

from bokeh_app import panels_common as pc
from bokeh_app.i18n import messages, t
from bokeh_app.palette import contrast_ratio
from bokeh_app.panels_compare import ComparePanel
from bokeh_app.panels_scatter import ScatterPanel
from bokeh_app.panels_whatif import WhatIfPanel
from scoring.service import population_queries as queries
from scoring.service.population import Population
from scoring.service.population_stats import percentile_of, selection_summary
from tests.panels_support import FakeClient, make_population, population_of

CLIENT = 100_011


@pytest.fixture(scope="module")
def world() -> tuple[Population, object]:
    pop, frame = make_population(n=1500, seed=9)
    return pop, frame


@pytest.fixture()
def client(world) -> FakeClient:
    return FakeClient(world[1], pop=world[0])


def _summary(pop: Population, rows) -> dict:
    """What the brushing view shows for these rows: selection_summary, None for no data."""
    return {k: None if isinstance(v, float) and np.isnan(v) else v
            for k, v in selection_summary(pop, np.asarray(rows)).items()}


def _rows(pop: Population, ids) -> np.ndarray:
    return np.asarray([pop.index_of(int(i)) for i in ids], dtype=np.int64)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _number(text: str) -> float:
    return float(text.replace("\u202f", "").replace(",", "."))


# ---------------------------------------------------------------- strings, colours, documents
def test_french_and_english_have_the_same_keys_and_placeholders():
    fr, en = messages("fr"), messages("en")
    assert fr.keys() == en.keys()
    for key in fr:
        assert set(re.findall(r"{(\w+)", fr[key])) == set(re.findall(r"{(\w+)", en[key])), key
        assert fr[key].strip() and en[key].strip(), key
    assert t("whatif.before", "de") == "Avant"  # unknown language falls back to French


def test_panel_colours_reach_contrast_4_5():
    for colour in (pc.TEXT, pc.GRANTED, pc.REFUSED, pc.CLIENT, pc.SELECTION, pc.NEUTRAL):
        assert contrast_ratio(colour, pc.BACKGROUND) >= 4.5, colour


def test_panels_serialise_into_a_document(world, client):
    doc = Document()
    for cls in (ComparePanel, ScatterPanel, WhatIfPanel):
        panel = cls(client)
        panel.set_client(CLIENT)
        doc.add_root(panel.layout)
    assert len(doc.roots) == 3
    assert doc.to_json().content["roots"]


# ---------------------------------------------------------------- compared with others
def test_compare_feature_change_histogram_and_percentile(world, client):
    pop, frame = world
    panel = ComparePanel(client)
    panel.set_client(CLIENT)
    panel.feature_select.value = "AMT_INCOME_TOTAL"
    values = frame["AMT_INCOME_TOTAL"].to_numpy()
    data = panel.sources[0].data
    assert sum(data["count"]) == np.isfinite(values).sum()
    assert sum(data["top"]) == pytest.approx(100.0)
    assert panel.renderers[1].visible is False
    i = pop.index_of(CLIENT)
    x = values[i]
    assert panel.span.visible and panel.span.location == pytest.approx(
        np.clip(x, data["left"][0], data["right"][-1]))
    below = 100 * np.mean(values < x)
    summary = _text(panel.summary.text)
    assert f"{below:.0f}".replace(".", ",") + " %" in summary.replace("\u00a0", " ")
    assert "Revenu annuel" in summary and "1 500" in summary.replace("\u202f", " ")
    # the table view holds the same numbers as the chart
    assert panel.table_data["count_0"] == data["count"]
    table = panel.table.text
    assert "<details" in table and "<caption>" in table and '<th scope="col">' in table
    assert table.count("<tr>") == len(data["count"]) + 1


def test_compare_group_change_same_gender_and_granted_refused(world, client):
    pop, frame = world
    panel = ComparePanel(client)
    panel.set_client(CLIENT)
    panel.feature_select.value = "EXT_SOURCE_2"
    i = pop.index_of(CLIENT)
    genders = frame["CODE_GENDER"].to_numpy()
    ext = frame["EXT_SOURCE_2"].to_numpy()
    panel.group_select.value = "gender"
    same = genders == genders[i]
    assert sum(panel.sources[0].data["count"]) == np.count_nonzero(same & np.isfinite(ext))
    panel.group_select.value = "granted_refused"
    granted, refused = panel.sources[0].data, panel.sources[1].data
    assert sum(granted["count"]) == np.count_nonzero(~pop.refused & np.isfinite(ext))
    assert sum(refused["count"]) == np.count_nonzero(pop.refused & np.isfinite(ext))
    assert panel.renderers[1].visible
    # told apart by more than colour: hatch and dashed outline, and two legend labels
    assert panel.renderers[1].glyph.hatch_pattern == "/"
    assert panel.renderers[1].glyph.line_dash == "dashed" != panel.renderers[0].glyph.line_dash
    labels = [item.label["value"] for item in panel.legend_items]
    assert labels == ["Crédits accordés", "Crédits refusés"]
    p_granted = 100 * np.mean(ext[~pop.refused & np.isfinite(ext)] < ext[i])
    assert f"{p_granted:.0f}" in _text(panel.summary.text)
    panel.group_select.value = "similar"
    assert sum(panel.sources[0].data["count"]) <= 500
    assert "Clients similaires" in panel.legend_items[0].label["value"]


def test_compare_categorical_feature_and_language(world, client):
    pop, frame = world
    panel = ComparePanel(client)
    panel.set_client(CLIENT)
    panel.feature_select.value = "NAME_CONTRACT_TYPE"
    i = pop.index_of(CLIENT)
    codes = frame["NAME_CONTRACT_TYPE"].to_numpy()
    share = 100 * np.mean(codes == codes[i])
    assert f"{share:.0f}" in _text(panel.summary.text)
    assert set(panel.table_data["label"]) == {"Prêt personnel", "Crédit renouvelable"}
    assert "Prêt personnel" in panel.table.text
    panel.set_language("en")
    assert set(panel.table_data["label"]) == {"Cash loan", "Revolving credit"}
    assert "Show the data as a table" in panel.table.text
    assert "shared by" in _text(panel.summary.text)
    assert panel.group_select.title == "Comparison group"
    groups = list(panel.feature_select.options)
    assert "Credit requested" in groups  # optgroups are the catalogue's groups, translated


def test_compare_percentile_on_a_constructed_population(client):
    """Exact numbers on a population built by hand: values 1..100, the client holds 50."""
    import polars as pl

    from bokeh_app.panels_compare import compare_data

    n = 100
    frame = pl.DataFrame({
        "SK_ID_CURR": np.arange(1, n + 1), "TARGET": [0] * n, "SAMPLE": ["train"] * n,
        "CODE_GENDER": ["F"] * n, "AGE_YEARS": np.full(n, 40.0),
        "AMT_CREDIT": np.arange(1.0, n + 1),
    })
    pop = Population.from_frame(frame, np.linspace(0, 1, n), 0.5, importance=["AMT_CREDIT"])
    data = compare_data(queries.comparison(pop, "AMT_CREDIT", "all", 50), "Credit amount", "en")
    assert "higher value than 49% of the clients" in data.summary
    assert percentile_of(pop.column("AMT_CREDIT").values, 50.0) == 49.5
    two = compare_data(queries.comparison(pop, "AMT_CREDIT", "granted_refused", 50), "Credit amount", "en")
    # granted = proba < 0.5 = the first 50 clients: the client (50) is above 49 of them
    assert "98% of granted credits and 0% of refused credits" in two.summary


def test_compare_text_scale(world, client):
    panel = ComparePanel(client)
    panel.set_text_scale(2.0)
    assert panel.figure.xaxis[0].axis_label_text_font_size == f"{2 * pc.AXIS_FONT / 16:g}rem"
    assert f"--bokeh-font-size: {2 * pc.BASE_FONT / 16:g}rem" in panel.css.css
    panel.set_text_scale(5.0)  # clamped to 200 %
    assert panel.scale == 2.0


def test_scatter_and_whatif_text_scale(world, client):
    scatter, whatif = ScatterPanel(client, max_points=300), WhatIfPanel(client)
    whatif.set_client(CLIENT)
    base = (scatter.figure.height, scatter.hist.height, whatif.bars.height)
    for panel in (scatter, whatif):
        panel.set_text_scale(2.0)
        assert f"--bokeh-font-size: {2 * pc.BASE_FONT / 16:g}rem" in panel.css.css
    assert scatter.hist.xaxis[0].major_label_text_font_size == f"{2 * pc.TICK_FONT / 16:g}rem"
    assert scatter.color_bar.major_label_text_font_size == f"{2 * pc.TICK_FONT / 16:g}rem"
    assert scatter.figure.height > base[0] and scatter.hist.height == 2 * base[1]
    assert whatif.bars.height == 2 * base[2]
    assert f"{2 * (pc.TITLE_FONT + 4) / 16:g}rem" in whatif.title.text


# ---------------------------------------------------------------- scatter and brushing
def test_scatter_sample_client_star_and_axes(world, client):
    pop, _ = world
    panel = ScatterPanel(client, max_points=400)
    panel.set_client(CLIENT)
    assert panel.figure.output_backend == "webgl"
    assert panel.points_sent <= 401
    i = pop.index_of(CLIENT)
    assert CLIENT in panel.sample_ids
    x = pop.column(panel.x_name).values[i]
    assert panel.client_source.data["x"] == [pytest.approx(x)]
    assert panel.star.glyph.marker == "star" and panel.star.glyph.line_color == "#000000"
    panel.y_select.value = "AMT_INCOME_TOTAL"
    assert np.allclose(panel.source.data["y"], pop.column("AMT_INCOME_TOTAL").values[
        _rows(pop, panel.sample_ids)])
    assert "Revenu annuel" in panel.figure.yaxis[0].axis_label


def test_brushing_summary_equals_numpy_and_clear_restores(world, client):
    pop, _ = world
    panel = ScatterPanel(client, max_points=400)
    panel.set_client(CLIENT)
    everyone = _text(panel.brush_summary.text)
    sel = list(range(0, 120, 3))
    panel.source.selected.indices = sel
    rows = _rows(pop, panel.sample_ids[sel])
    expected = _summary(pop, rows)
    assert panel.brush.summary == expected
    train = pop.is_train[rows]
    assert expected["default_rate"] == pytest.approx(pop.target[rows][train].mean())
    assert sum(panel.hist_sel_source.data["count"]) == len(rows)
    assert panel.hist_renderers[1].visible
    assert _text(panel.brush_summary.text) != everyone
    assert f"{len(rows)} clients" in _text(panel.brush_summary.text)
    panel.clear_selection()
    assert panel.source.selected.indices == []
    assert _text(panel.brush_summary.text) == everyone
    assert panel.brush.summary["count"] == pop.n


def test_box_geometry_summarises_every_population_client_inside(world, client):
    pop, _ = world
    panel = ScatterPanel(client, max_points=300)
    panel.set_client(CLIENT)
    xs, ys = pop.column(panel.x_name).values, pop.column(panel.y_name).values
    box = {"type": "rect", "x0": float(np.nanquantile(xs, 0.2)), "x1": float(np.nanquantile(xs, 0.7)),
           "y0": float(np.nanquantile(ys, 0.1)), "y1": float(np.nanquantile(ys, 0.6))}
    sx, sy = np.asarray(panel.source.data["x"]), np.asarray(panel.source.data["y"])
    in_sample = np.flatnonzero((sx >= box["x0"]) & (sx <= box["x1"])
                               & (sy >= box["y0"]) & (sy <= box["y1"]))
    panel.source.selected.indices = in_sample.tolist()  # what the browser sends first
    assert panel.selection_source == "sample"
    panel._on_geometry(SelectionGeometry(panel.figure, geometry=box, final=True))
    assert panel.selection_source == "geometry"
    inside = np.flatnonzero((xs >= box["x0"]) & (xs <= box["x1"]) & (ys >= box["y0"])
                            & (ys <= box["y1"]))
    assert inside.size > in_sample.size
    assert panel.brush.summary == _summary(pop, inside)
    # a geometry that does not match the selection (Shift-append) keeps the sample summary
    panel.source.selected.indices = in_sample[: len(in_sample) // 2].tolist()
    panel._on_geometry(SelectionGeometry(panel.figure, geometry=box, final=True))
    assert panel.selection_source == "sample"


def test_keyboard_box_selection_matches_numpy(world, client):
    pop, _ = world
    panel = ScatterPanel(client, max_points=300)
    panel.set_client(CLIENT)
    xs, ys = pop.column(panel.x_name).values, pop.column(panel.y_name).values
    assert _number(panel.bounds["x0"].value) <= np.nanquantile(xs, 0.01)
    panel.bounds["x0"].value = "abc"
    panel.apply_bounds()
    assert "Borne basse de" in panel.bounds_message.text and "« abc »" in panel.bounds_message.text
    assert not panel.has_selection  # nothing selected while a bound is not a number
    x0, x1 = np.nanquantile(xs, [0.1, 0.5])
    y0, y1 = np.nanquantile(ys, [0.3, 0.9])
    for key, v in (("x0", x0), ("x1", x1), ("y0", y0), ("y1", y1)):
        panel.bounds[key].value = repr(float(v)).replace(".", ",")
    panel.apply_bounds()
    inside = np.flatnonzero((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1))
    assert panel.brush.summary == _summary(pop, inside)
    sx = np.asarray(panel.source.data["x"])
    assert all(x0 <= sx[i] <= x1 for i in panel.source.selected.indices)  # highlighted points
    assert panel.selection_source == "geometry" and panel.bounds_message.text == ""


def test_scatter_language_and_isolation_between_sessions(world, client):
    pop, _ = world
    a, b = ScatterPanel(client, max_points=300), ScatterPanel(client, max_points=300)
    a.set_client(CLIENT)
    b.set_client(CLIENT)
    a.source.selected.indices = [1, 2, 3]
    a.set_language("en")
    assert b.brush.summary["count"] == pop.n
    assert "Whole population" not in b.brush_summary.text and "Selection" in a.brush_summary.text
    assert a.source is not b.source and a.css is not b.css


# ---------------------------------------------------------------- what-if
def _whatif(world, client) -> WhatIfPanel:
    panel = WhatIfPanel(client)
    panel.set_client(CLIENT)
    return panel


def test_whatif_prefills_editable_fields_but_not_protected_ones(world, client):
    frame = world[1]
    panel = _whatif(world, client)
    assert "AMT_CREDIT" in panel.inputs and "DAYS_EMPLOYED" in panel.inputs
    assert "CNT_CHILDREN" not in panel.inputs and "NAME_FAMILY_STATUS" not in panel.inputs
    row = frame.filter(frame["SK_ID_CURR"] == CLIENT).row(0, named=True)
    assert _number(panel.inputs["AMT_CREDIT"].value) == pytest.approx(row["AMT_CREDIT"])
    assert _number(panel.inputs["DAYS_EMPLOYED"].value) == pytest.approx(row["EMPLOYMENT_YEARS"])
    assert panel.inputs["NAME_CONTRACT_TYPE"].value == row["NAME_CONTRACT_TYPE"]
    assert "Avant" in panel.before_div.text


@pytest.mark.parametrize("field,text,message", [
    ("AMT_CREDIT", "douze", "Montant du crédit : nombre attendu (reçu : « douze »)"),
    ("AMT_CREDIT", "10", "Montant du crédit : 10\u202f€ hors limites"),
    ("DAYS_EMPLOYED", "99", "99 ans hors limites, doit être compris entre 0 an et 60 ans"),
])
def test_whatif_invalid_input_changes_nothing(world, client, field, text, message):
    panel = _whatif(world, client)
    before = (dict(panel.bar_source.data), dict(panel.contrib_data),
              panel.before_div.text, panel.after_div.text)
    assert "role='alert'" not in panel.messages[field].text  # a hint until something is typed
    panel.inputs[field].value = text
    assert message in panel.messages[field].text  # the service's message sits next to the field
    assert "role='alert'" in panel.messages[field].text
    panel.recompute()
    assert client.calls == []  # what_if never called
    assert (dict(panel.bar_source.data), dict(panel.contrib_data),
            panel.before_div.text, panel.after_div.text) == before
    assert "rien n'a été recalculé" in html.unescape(panel.status.text)


def test_whatif_unknown_client_is_reported_not_raised(world, client):
    panel = WhatIfPanel(client)
    panel.set_client(1)  # the fake client raises KeyError
    assert panel.client_id is None and "échoué" in panel.status.text
    panel.recompute()
    assert client.calls == []
    panel.set_client(CLIENT)
    assert panel.client_id == CLIENT and "Avant" in panel.before_div.text


def test_whatif_untouched_fields_are_never_sent(client):
    """A recorded value with more decimals than the form shows is not an edit."""
    import polars as pl

    pop, frame = make_population(n=300, seed=4)
    frame = frame.with_columns(pl.lit(24.364134).alias("EMPLOYMENT_YEARS"))
    pop = population_of(frame)
    fake = FakeClient(frame, pop=pop)
    panel = WhatIfPanel(fake)
    panel.set_client(int(pop.ids[3]))
    assert panel.inputs["DAYS_EMPLOYED"].value == "24,36"
    assert panel.overrides() == {}
    panel.inputs["AMT_INCOME_TOTAL"].value = "123456"
    panel.recompute()
    assert fake.calls == [(int(pop.ids[3]), {"AMT_INCOME_TOTAL": 123456.0})]
    panel.set_language("en")
    assert panel.inputs["DAYS_EMPLOYED"].value == "24.36" and panel.overrides() == {
        "AMT_INCOME_TOTAL": 123456.0}


def test_whatif_required_field_emptied_is_flagged(world, client):
    panel = _whatif(world, client)
    required = [s.name for s in panel.specs if s.required and panel.original.get(s.name) is not None
                and s.kind != "category"]
    optional = [s.name for s in panel.specs if not s.required and s.kind != "category"
                and panel.original.get(s.name) is not None]
    assert required or optional
    for name in required:
        assert "Champ obligatoire." in panel.messages[name].text  # said before anything is typed
        panel.inputs[name].value = ""
        assert "une valeur est obligatoire" in panel.messages[name].text
        assert "role='alert'" in panel.messages[name].text
    for name in optional:
        panel.inputs[name].value = ""
        assert "role='alert'" not in panel.messages[name].text
    if required:
        panel.recompute()
        assert client.calls == []


def test_whatif_recompute_changes_score_and_reset_restores(world, client):
    panel = _whatif(world, client)
    original = dict(panel.bar_source.data)
    credit = _number(panel.inputs["AMT_CREDIT"].value)
    panel.inputs["AMT_CREDIT"].value = str(int(credit * 4))
    panel.recompute()
    assert client.calls == [(CLIENT, {"AMT_CREDIT": float(int(credit * 4))})]  # only the change
    before, after = panel.result.before.score, panel.result.after.score
    assert after.probability > before.probability
    assert panel.bar_source.data["y"] == ["Avant", "Après"]
    assert panel.bar_source.data["proba"] == [pytest.approx(100 * before.probability),
                                              pytest.approx(100 * after.probability)]
    assert "Après" in panel.after_div.text and f"{after.probability:.1%}"[:2] in panel.after_div.text
    change = panel.contrib_data["change"][panel.contrib_data["factor"].index(
        "Montant du crédit")]
    assert "Montant du crédit" in panel.contrib_table.text
    assert change.startswith("−")  # more credit lowers the score (points: higher is safer)
    panel.set_language("en")
    assert panel.bar_source.data["y"] == ["Before", "After"] and "Credit amount" in \
        panel.contrib_data["factor"]
    panel.reset()
    assert _number(panel.inputs["AMT_CREDIT"].value) == pytest.approx(credit)
    assert panel.result is None and panel.bar_source.data["proba"] == original["proba"]
    assert len(client.calls) == 1


def test_whatif_server_rejection_is_shown_and_nothing_changes(world, client):
    panel = _whatif(world, client)
    before = dict(panel.bar_source.data)
    panel.inputs["AMT_INCOME_TOTAL"].value = ""  # passes the form (optional), the fake refuses
    panel.recompute()
    assert len(client.calls) == 1
    assert "bad" in panel.messages["AMT_INCOME_TOTAL"].text
    assert dict(panel.bar_source.data) == before and panel.result is None


def test_whatif_sessions_are_isolated_and_shared_arrays_unchanged(world):
    pop, frame = world
    snapshot = {k: getattr(pop, k).copy() for k in ("proba", "refused", "target")}
    credit = pop.column("AMT_CREDIT").values.copy()
    c1, c2 = FakeClient(frame, pop=pop), FakeClient(frame, pop=pop)
    a, b = WhatIfPanel(c1), WhatIfPanel(c2)
    a.set_client(CLIENT)
    b.set_client(CLIENT)
    a.inputs["AMT_CREDIT"].value = "5000000"
    a.recompute()
    assert a.result is not None and b.result is None
    assert b.inputs["AMT_CREDIT"].value != "5000000" and c2.calls == []
    b.set_client(CLIENT)  # reloading the other session shows the original data
    assert _number(b.inputs["AMT_CREDIT"].value) == pytest.approx(
        credit[pop.index_of(CLIENT)])
    for k, v in snapshot.items():
        assert np.array_equal(getattr(pop, k), v, equal_nan=True)
    assert np.array_equal(pop.column("AMT_CREDIT").values, credit)
    assert a.css is not b.css and a.bar_source is not b.bar_source


# ---------------------------------------------------------------- on a real small run
def test_panels_on_a_real_run(small_run, tmp_path):
    """Every panel through the real InProcessClient: its population is its own store's, its
    what-if re-scores a copy (log kept in tmp_path)."""
    from scoring.service.inprocess import InProcessClient
    from scoring.service.prediction_log import PredictionLog

    client = InProcessClient(small_run, prediction_log=PredictionLog(tmp_path / "log.sqlite"))
    try:
        pop = client._population()  # what the service computes from (read-only, shared)
        assert pop.ids.tolist() == client.store.client_ids().tolist()
        assert pop.threshold == client.store.threshold == client.population().threshold
        ids = [int(pop.ids[i]) for i in (0, 7, pop.n - 1)]
        for cid in ids:
            assert pop.proba[pop.index_of(cid)] == pytest.approx(client.score(cid).probability)
        features = client.store.features
        snapshot = pop.proba.copy()
        compare = ComparePanel(client)
        compare.set_client(ids[1])
        name = compare.feature
        assert sum(compare.sources[0].data["count"]) == features[name].drop_nulls().len() - (
            features[name].is_nan().sum() if features[name].dtype.is_float() else 0)
        compare.group_select.value = "similar"
        assert "500" in _text(compare.summary.text) or "similaires" in _text(compare.summary.text)
        scatter = ScatterPanel(client)
        scatter.set_client(ids[1])
        assert ids[1] in scatter.sample_ids
        panel = WhatIfPanel(client)
        panel.set_client(ids[1])
        assert panel.overrides() == {}  # untouched fields (rounded for display) are never sent
        credit = features["AMT_CREDIT"][pop.index_of(ids[1])]
        assert _number(panel.inputs["AMT_CREDIT"].value) == pytest.approx(credit, abs=0.01)
        panel.inputs["AMT_CREDIT"].value = str(round(credit * 3))
        panel.recompute()
        assert panel.result is not None, panel.status.text
        before, after = panel.result.before.score, panel.result.after.score
        assert before.probability == pytest.approx(client.score(ids[1]).probability)
        assert after.probability != pytest.approx(before.probability)
        panel.reset()
        assert _number(panel.inputs["AMT_CREDIT"].value) == pytest.approx(credit, abs=0.01)
        # nothing shared moved: the store still scores the client as before
        assert client.score(ids[1]).probability == pytest.approx(before.probability)
        assert features["AMT_CREDIT"][pop.index_of(ids[1])] == credit
        assert np.array_equal(pop.proba, snapshot)
    finally:
        client.close()


def test_years_of_employment_edit_reaches_the_real_service_in_raw_days(small_run, tmp_path):
    """The form speaks years; the service and the API speak the raw column (negative days)."""
    from scoring.service.inprocess import InProcessClient
    from scoring.service.prediction_log import PredictionLog

    log = PredictionLog(tmp_path / "log.sqlite")
    client = InProcessClient(small_run, prediction_log=log)
    try:
        years = client.store.features["EMPLOYMENT_YEARS"].to_numpy()
        row = int(np.flatnonzero(np.isfinite(years) & (years > 1))[0])
        cid = int(client.store.features["SK_ID_CURR"][row])
        panel = WhatIfPanel(client)
        panel.set_client(cid)
        panel.inputs["DAYS_EMPLOYED"].value = "0,5"
        panel.recompute()
        assert panel.result is not None, panel.status.text
        sent = log.tail(1)[0]
        assert sent["client_id"] == cid
        assert sent["overrides"] == {"DAYS_EMPLOYED": pytest.approx(-0.5 * 365.25, abs=1)}
    finally:
        client.close()
