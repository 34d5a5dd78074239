"""Entry point run by `bokeh serve bokeh_app` for every new session.

Thin on purpose: the shared, read-only state comes from `store` (loaded once
per process), the session's models from `session.open_session`. A session
without a signed-in user (nor development mode) gets the sign-in page's
pointer and nothing else (`account.session_account` fails closed).
"""

from bokeh.io import curdoc

from bokeh_app.account import add_account_bar, build_refusal_document, session_account
from bokeh_app.i18n import DEFAULT_LANG
from bokeh_app.session import open_session, url_arguments

doc = curdoc()
context = doc.session_context
request = getattr(context, "request", None) if context is not None else None
arguments = getattr(request, "arguments", None) or {}
lang = url_arguments(arguments).get("lang", DEFAULT_LANG)
account = session_account(context)
if account is None:
    build_refusal_document(doc, lang)
else:
    page = open_session(doc, arguments, user=account.user)
    add_account_bar(doc, account, getattr(page, "lang", lang), getattr(page, "lang_select", None))
