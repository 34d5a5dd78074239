"""Entry point run by `bokeh serve bokeh_app` for every new session.

Thin on purpose: the shared, read-only state comes from `store` (loaded once
per process), the session's models from `session.open_session`.
"""

from bokeh.io import curdoc

from bokeh_app.session import open_session

doc = curdoc()
context = doc.session_context
request = getattr(context, "request", None) if context is not None else None
open_session(doc, getattr(request, "arguments", None) or {})
