"""The dashboard's sign-in: Bokeh's auth hooks (`bokeh serve --auth-module bokeh_app/auth.py`).

Bokeh loads this file by path and asks `get_user` on every page and websocket
request; without a user it redirects to `login_url` (?next= the page asked
for), served by `LoginHandler`. `python main.py serve` passes the rest:
signed sessions (BOKEH_SECRET_KEY), the cookie secret (BOKEH_COOKIE_SECRET),
Tornado's XSRF check on the form, and the options in `bokeh_app.account`.

A password is checked against the users file (`python main.py users add`,
Argon2id, in a worker thread so that the server's event loop never waits for
a hash). Wrong passwords are counted per client address
(`scoring.security.limiter`, in memory per server process): past the limit
the form answers 429 and checks nothing until the minute has passed.
"""

from __future__ import annotations

import html
import logging
import math
import os
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from tornado.ioloop import IOLoop
from tornado.web import RequestHandler

from bokeh_app.account import (
    COOKIE,
    ENV_USER_HEADER,
    LOGIN_URL,
    LOGOUT_URL,
    SESSION_HOURS,
    user_from_request,
    users_store,
)
from bokeh_app.i18n import DEFAULT_LANG, LANG_NAMES, N_, check_lang, t
from scoring.security.limiter import FailureLimiter
from scoring.security.users import MAX_PASSWORD_LENGTH

log = logging.getLogger("scoring.dashboard")

login_url = LOGIN_URL
logout_url = LOGOUT_URL
#: Where a successful sign-in goes when the login page was opened directly.
HOME = "/bokeh_app"
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=True)
#: Wrong passwords per client address and minute before the form refuses to check more.
LIMITER = FailureLimiter()
#: The keys templates/login.html uses (declared for `main.py i18n extract`, which reads Python).
TEMPLATE_KEYS = (N_("login.title"), N_("login.heading"), N_("login.intro"), N_("login.sso_note"),
                 N_("login.signed_out"), N_("login.user_label"), N_("login.password_label"),
                 N_("login.submit"), N_("lang_title"))


def get_user(request_handler: RequestHandler) -> str | None:
    """Bokeh's hook: the signed-in user of this request, or None (then: the login page)."""
    return user_from_request(request_handler.request)


def _safe_next(target: str | None) -> str:
    """A local path to go back to after signing in (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


def _lang(handler: RequestHandler) -> str:
    asked = handler.get_argument("lang", None)
    if asked:
        return check_lang(asked)
    for item in handler.request.headers.get("Accept-Language", "").split(","):
        code = item.split(";")[0].strip().lower()[:2]
        if code in LANG_NAMES:
            return code
    return DEFAULT_LANG


@cache
def _template() -> jinja2.Template:
    return TEMPLATES.get_template("login.html")


class LoginHandler(RequestHandler):
    """GET: the sign-in form. POST: check the password, set the signed cookie, go back."""

    def _render(self, lang: str, *, error: str | None = None, user: str = "", status: int = 200,
                signed_out: bool = False) -> None:
        target = _safe_next(self.get_argument("next", None))
        languages = [(code, name, f"{LOGIN_URL}?{urlencode({'next': target, 'lang': code})}")
                     for code, name in LANG_NAMES.items()]
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")  # no sign-in form inside another site's frame
        self.set_header("Content-Security-Policy", "frame-ancestors 'none'")
        self.finish(_template().render(
            lang=lang, t=lambda key, **kw: t(key, lang, **kw), error=error, user=user, next=target,
            action=LOGIN_URL, xsrf=self.xsrf_form_html(), languages=languages, signed_out=signed_out,
            sso=bool(os.environ.get(ENV_USER_HEADER)), max_length=MAX_PASSWORD_LENGTH))

    def get(self) -> None:
        self._render(_lang(self), signed_out=self.get_argument("signed_out", None) == "1")

    async def post(self) -> None:
        lang = _lang(self)
        ip = self.request.remote_ip or "?"
        wait = LIMITER.retry_after(ip)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            self.set_header("Retry-After", str(seconds))
            self._render(lang, error=t("login.error_too_many", lang, seconds=seconds), status=429)
            return
        user = self.get_argument("username", "").strip()
        password = self.get_argument("password", "")
        valid = await IOLoop.current().run_in_executor(None, users_store().verify, user, password)
        if not valid:
            failures = LIMITER.failure(ip)
            log.warning("dashboard: failed sign-in for %r from %s (%d in the last minute)", user[:64], ip, failures)
            self._render(lang, error=t("login.error_invalid", lang), user=user)
            return
        log.info("dashboard: %s signed in from %s", user, ip)
        self.set_signed_cookie(COOKIE, user, expires_days=None, httponly=True, samesite="Lax",
                               secure=self.request.protocol == "https", path="/")
        self.redirect(_safe_next(self.get_argument("next", None)))

    def write_error(self, status_code: int, **kwargs) -> None:  # e.g. a missing XSRF token (403)
        self.finish(f"<!DOCTYPE html><title>{status_code}</title><p>{html.escape(self._reason)}</p>"
                    f'<p><a href="{LOGIN_URL}">{html.escape(t("login.submit", _lang(self)))}</a></p>')


class LogoutHandler(RequestHandler):
    """Forget the cookie, then back to the login page that says so."""

    def get(self) -> None:
        self.clear_cookie(COOKIE, path="/")
        self.redirect(f"{LOGIN_URL}?{urlencode({'signed_out': '1', 'lang': _lang(self)})}")


__all__ = ["LoginHandler", "LogoutHandler", "SESSION_HOURS", "get_user", "login_url", "logout_url"]
