"""A standalone Bokeh app mounting the three panels on the constructed test population.

Served by tests/test_panels_browser.py with `bokeh serve`, so the browser
tests pass before the panels are mounted into the real dashboard layout.
Query arguments: `lang` (fr/en), `client` (SK_ID_CURR).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bokeh.io import curdoc  # noqa: E402
from bokeh.layouts import column  # noqa: E402

from bokeh_app.panels_compare import ComparePanel  # noqa: E402
from bokeh_app.panels_scatter import ScatterPanel  # noqa: E402
from bokeh_app.panels_whatif import WhatIfPanel  # noqa: E402
from tests.panels_support import FakeClient, make_population  # noqa: E402

_cache: dict = {}


def _world():
    """One population per server process, shared read-only by every session."""
    if "pop" not in _cache:
        _cache["pop"], _cache["frame"] = make_population(n=3000, seed=21)
    return _cache["pop"], _cache["frame"]


doc = curdoc()
args = doc.session_context.request.arguments if doc.session_context else {}
lang = (args.get("lang") or [b"fr"])[0].decode()
pop, frame = _world()
client = FakeClient(frame)  # per session: records this session's calls only
client_id = int((args.get("client") or [str(int(pop.ids[10])).encode()])[0].decode())
panels = [ComparePanel(client, pop, lang), ScatterPanel(client, pop, lang, max_points=1500),
          WhatIfPanel(client, pop, lang)]
scale = float((args.get("scale") or [b"1"])[0].decode())
for panel in panels:
    panel.set_client(client_id)
    panel.set_text_scale(scale)
doc.add_root(column(*[p.layout for p in panels], sizing_mode="stretch_width"))
doc.title = "Prêt à dépenser — panels"
doc.template_variables["lang"] = lang
