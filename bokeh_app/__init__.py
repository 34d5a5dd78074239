"""The advisors' dashboard: a directory-format Bokeh app (`bokeh serve bokeh_app`).

Kept empty on purpose: `bokeh serve` runs this file as the app's package
module, and the real code lives in importable modules (layout, views, ...).
"""
