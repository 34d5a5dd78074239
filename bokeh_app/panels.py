"""The population sections every served session offers below the first screen, then monitoring.

Each factory builds a panel for one session; the panels get their data from
the session's `ScoringClient` only (in-process or over HTTP) and own their
Bokeh models.
"""

from __future__ import annotations

from typing import Any

from bokeh_app.panel_monitoring import monitoring_panel
from bokeh_app.panels_compare import ComparePanel
from bokeh_app.panels_scatter import ScatterPanel
from bokeh_app.panels_whatif import WhatIfPanel
from scoring.service.protocol import PopulationInfo

#: Section key -> panel class, in page order (the keys name the sections' titles in i18n).
PANEL_CLASSES = (("compare", ComparePanel), ("explore", ScatterPanel), ("whatif", WhatIfPanel))


def population_sections(population: PopulationInfo) -> list[tuple[str, Any]]:
    """`(key, factory)` for the comparison, scatter and what-if sections; each factory
    `(client, lang) -> panel` is called only when an advisor first opens its section.
    `population` (the client's feature list) is shared so a panel does not ask for it again."""
    def factory(cls: type) -> Any:
        if cls is WhatIfPanel:  # the form needs no population: its fields come from the service
            return lambda client, lang: cls(client, lang)
        return lambda client, lang: cls(client, lang, info=population)
    # the data team's monitoring (fairness, drift, score over time) comes after them
    return [*((key, factory(cls)) for key, cls in PANEL_CLASSES), ("monitoring", monitoring_panel)]
