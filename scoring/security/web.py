"""Names shared by `main.py serve` (scoring.cli.serving) and the dashboard's sign-in (bokeh_app),
and by the HTTP client and the API for the user a request is made for.

The CLI starts `bokeh serve` with these in its environment and arguments; the
dashboard's modules read them. Kept here, below all of them, so each is said once.
"""

#: `serve --dev`: no sign-in, and every page says so.
ENV_DASHBOARD_DEV = "SCORING_DASHBOARD_DEV"
#: `serve --trust-user-header NAME`: the reverse proxy's header naming the signed-in user.
ENV_TRUSTED_USER_HEADER = "SCORING_TRUSTED_USER_HEADER"
#: The signed cookie naming the advisor (HttpOnly, SameSite=Lax, Secure over HTTPS).
SESSION_COOKIE = "pad_user"
#: Tornado's anti-forgery cookie of the sign-in form.
XSRF_COOKIE = "_xsrf"
#: A sign-in lasts a working day; then the login page asks again.
SESSION_HOURS = 12
#: Bokeh's settings, read from the environment by `bokeh serve` (never put on its command line,
#: which other users of the machine can read).
ENV_SECRET_KEY = "BOKEH_SECRET_KEY"
ENV_COOKIE_SECRET = "BOKEH_COOKIE_SECRET"
ENV_SIGN_SESSIONS = "BOKEH_SIGN_SESSIONS"
#: The header in which the dashboard's HTTP client names the signed-in advisor; the API believes
#: it only from a token created with `main.py tokens add NAME --delegate`.
USER_HEADER = "X-Scoring-User"
