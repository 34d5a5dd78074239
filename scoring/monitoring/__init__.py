"""The data team's monitoring: fairness by protected group, drift of the incoming clients, the
score over time. Pure computations (no Bokeh): `snapshot.py` assembles them into the JSON
snapshot that the nightly job stores, `main.py monitor` prints and the API and the dashboard
serve."""
