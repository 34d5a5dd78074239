"""`python main.py users add|remove|list` and `python main.py tokens add|remove|list`.

A password is never a command-line argument (other users see those in `ps`):
it is asked twice on the terminal, or read from the first line of standard
input with `--password-stdin` (scripts). `tokens add` prints the new token
once; only its digest is kept.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from scoring.errors import UserError
from scoring.paths import Paths
from scoring.security.files import tokens_file, users_file
from scoring.security.tokens import TokenStore
from scoring.security.users import UserStore


def _name(args: argparse.Namespace, what: str) -> str:
    if not args.name:
        raise UserError(f"`{what} {args.action}` needs a name, e.g. `python main.py {what} {args.action} alice`")
    return args.name


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UserError("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask the password on: pipe it with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise UserError("the two passwords differ: nothing was changed")
    return first


def cli_users(args: argparse.Namespace, paths: Paths) -> int:
    """Manage the dashboard's users."""
    store = UserStore(users_file(paths))
    if args.action == "list":
        users = store.list()
        for user in users:
            print(f"{user.name}\t(created {user.created})")
        print(f"({len(users)} user(s) in {store.path})")
    elif args.action == "add":
        name = _name(args, "users")
        store.add(name, _read_password(args), replace=args.replace)
        print(f"user {name!r} saved in {store.path}")
    elif args.action == "remove":
        name = _name(args, "users")
        store.remove(name)
        print(f"user {name!r} removed from {store.path} (the next page load asks to sign in; "
              "pages already open keep working until reloaded)")
    return 0


def cli_tokens(args: argparse.Namespace, paths: Paths) -> int:
    """Manage the API's bearer tokens."""
    store = TokenStore(tokens_file(paths))
    if args.action == "list":
        tokens = store.list()
        for token in tokens:
            print(f"{token.name}\t(created {token.created}{', may act for a dashboard user' if token.delegate else ''})")
        print(f"({len(tokens)} token(s) in {store.path})")
    elif args.action == "add":
        name = _name(args, "tokens")
        token = store.add(name, delegate=args.delegate)
        print(token)
        print(f"token {name!r} saved in {store.path}; copy it now, it is not shown again "
              "(send it as `Authorization: Bearer <token>`)", file=sys.stderr)
    elif args.action == "remove":
        name = _name(args, "tokens")
        store.remove(name)
        print(f"token {name!r} removed from {store.path}")
    return 0
