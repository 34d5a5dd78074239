"""Who is using a dashboard session: the signed-in advisor, or the development mode's nobody.

`python main.py serve` runs Bokeh with the sign-in module `bokeh_app/auth.py`
(`--auth-module`): an advisor signs in on its login page and gets a cookie
signed with the server's cookie secret (BOKEH_COOKIE_SECRET), or, when the
server is told to trust a corporate reverse proxy's single sign-on, the proxy
names the user in a header. Bokeh only lets a signed-in browser reach the
page and its websocket; the session then learns its user from the signed
session token: `app_hooks.process_request` puts `request_account` into the
token's payload, and sessions are signed (BOKEH_SECRET_KEY), so a browser
cannot forge it. The raw cookie is kept out of the token (`serve` passes
`--exclude-cookies`), so page scripts never see it.

`session_account` fails closed: a session that is neither signed in (with a
verified token signature) nor in development mode (SCORING_DASHBOARD_DEV=1,
`serve --dev`) gets the "sign-in required" page and no client data, so
serving `bokeh_app` without the sign-in module shows nothing personal.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bokeh.document import Document
from bokeh.models import Div
from bokeh.settings import settings
from bokeh.util.token import check_token_signature
from tornado.httputil import HTTPServerRequest
from tornado.web import decode_signed_value

from bokeh_app.i18n import DEFAULT_LANG, check_lang, t
from bokeh_app.panel_base import widget_css
from scoring.paths import Paths
from scoring.security.files import users_file
from scoring.security.users import NAME_PATTERN, UserStore
from scoring.security.web import ENV_DASHBOARD_DEV as ENV_DEV
from scoring.security.web import ENV_TRUSTED_USER_HEADER as ENV_USER_HEADER
from scoring.security.web import SESSION_COOKIE as COOKIE
from scoring.security.web import SESSION_HOURS

#: Where the sign-in module's pages are (relative to the server root).
LOGIN_URL = "/login"
LOGOUT_URL = "/logout"
ACCOUNT_CSS = Path(__file__).resolve().parent / "static" / "css" / "account.css"


@dataclass(frozen=True)
class Account:
    """A session's user (None in development mode)."""

    user: str | None
    dev: bool = False


def dev_mode() -> bool:
    return os.environ.get(ENV_DEV) == "1"


@cache
def users_store() -> UserStore:
    """The users file of the run the server was started for (re-read when it changes)."""
    return UserStore(users_file(Paths.from_env()))


def user_from_request(request: HTTPServerRequest) -> str | None:
    """The signed-in user of an HTTP request: the trusted proxy's header when configured,
    else a valid signed cookie naming a user who still exists (a removed user is out at once)."""
    header = os.environ.get(ENV_USER_HEADER)
    if header:
        named = (request.headers.get(header) or "").strip()
        if named and NAME_PATTERN.match(named):
            return named
    secret = settings.cookie_secret()
    morsel = request.cookies.get(COOKIE)
    if not secret or morsel is None:
        return None
    value = decode_signed_value(secret, COOKIE, morsel.value, max_age_days=SESSION_HOURS / 24)
    name = value.decode("utf-8", "replace") if value else None
    return name if name and NAME_PATTERN.match(name) and users_store().exists(name) else None


def request_account(request: HTTPServerRequest) -> dict[str, Any]:
    """What `app_hooks.process_request` adds to the session token's payload."""
    return {"account": {"user": None if dev_mode() else user_from_request(request)}}


def session_account(context: Any) -> Account | None:
    """The session's account, or None when it must see nothing (not signed in, or a token
    whose signature this server cannot verify)."""
    if dev_mode():
        return Account(user=None, dev=True)
    token = getattr(context, "_token", None) if context is not None else None
    secret = settings.secret_key()  # not secret_key_bytes(): that one is cached on first call
    if not token or not secret or not check_token_signature(token, secret_key=secret.encode(), signed=True):
        return None
    user = (context.token_payload.get("account") or {}).get("user")
    return Account(user=user) if isinstance(user, str) and NAME_PATTERN.match(user) else None


@cache
def account_css() -> str:
    return ACCOUNT_CSS.read_text(encoding="utf-8")


def account_html(account: Account, lang: str, logout_url: str | None = LOGOUT_URL) -> str:
    """The banner of development mode, or who is signed in with a sign-out link."""
    lang = check_lang(lang)
    if account.dev:
        return f'<p class="dev-banner" role="status">{html.escape(t("account.dev_banner", lang))}</p>'
    out = f'<span class="signed-in">{html.escape(t("account.signed_in_as", lang, user=account.user))}</span>'
    if logout_url:
        href = html.escape(f"{logout_url}?lang={lang}")  # the login page then speaks the session's language
        out += f' <a class="sign-out" href="{href}">{html.escape(t("account.sign_out", lang))}</a>'
    return f'<p class="account">{out}</p>'


def add_account_bar(doc: Document, account: Account, lang: str, language_select: Any = None,
                    logout_url: str | None = LOGOUT_URL) -> Div:
    """Add the "account" root (placed by the page template in the header); it follows the
    session's language selector when one is given."""
    div = Div(text=account_html(account, lang, logout_url), name="account", sizing_mode="stretch_width",
              stylesheets=[widget_css(), account_css()])
    if language_select is not None:
        language_select.on_change("value", lambda _a, _o, new: setattr(
            div, "text", account_html(account, new, logout_url)))
    doc.add_root(div)
    return div


def build_refusal_document(doc: Document, lang: str = DEFAULT_LANG) -> Div:
    """The page of a session without a user: sign in first (nothing about any client)."""
    lang = check_lang(lang)
    doc.title = t("account.refused_title", lang)
    doc.template_variables["lang"] = lang
    div = Div(
        text=(f'<h1>{html.escape(t("account.refused_title", lang))}</h1>'
              f'<p class="message-error">{html.escape(t("account.refused_text", lang))}</p>'
              f'<p><a href="{LOGIN_URL}">{html.escape(t("login.submit", lang))}</a></p>'),
        name="controls", sizing_mode="stretch_width", stylesheets=[widget_css(), account_css()],
        html_attributes={"role": "alert"})
    doc.add_root(div)
    return div
