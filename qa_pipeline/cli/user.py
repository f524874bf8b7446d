"""`qa-pipeline user add|passwd|disable|enable NAME`: manage review app accounts.

Every subcommand works on an existing store (`qa-pipeline db init` creates one), so a
mistyped --db is an error instead of an account in a new, empty store.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from qa_pipeline.errors import ConfigError

ROLE_CHOICE = click.Choice(["supervisor", "trainer", "agent"])
DB_HELP = "Store URL (default: $QA_PIPELINE_DB, else the default store; see `qa-pipeline db --help`)."
PASSWORD_STDIN_HELP = "Read the password from the first line of stdin."


@click.group()
def command() -> None:
    """Create, re-password, disable or enable review app accounts (passwords: 12 characters or more)."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _on_store(db_url: str | None, name: str, change: Callable):
    """Run `change(store)` on the existing store; refusals become one-line errors naming the user."""
    from qa_pipeline.store import open_store

    store = open_store(db_url, create=False)
    try:
        return change(store)
    except (ValueError, LookupError) as exc:
        raise ConfigError(f"user {name!r}: {exc.args[0] if exc.args else exc}") from exc
    finally:
        store.close()


@command.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLE_CHOICE, help="supervisor: sees all, may override; "
              "trainer: sees all, may export clips; agent: sees only their own calls.")
@click.option("--agent-id", default=None, help="The agent id in scorecards (required for --role agent).")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
@click.option("--db", "db_url", default=None, help=DB_HELP)
def add(name: str, role: str, agent_id: str | None, password_stdin: bool, db_url: str | None) -> None:
    """Create the account NAME, or reset its role and password if it exists (ending its sessions)."""
    password = _password(password_stdin)
    user = _on_store(db_url, name, lambda store: store.add_user(name, role, password, agent_id))
    suffix = f" for agent {user.agent_id}" if user.agent_id else ""
    click.echo(f"user {user.name} ({user.role}{suffix}) saved")


@command.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
@click.option("--db", "db_url", default=None, help=DB_HELP)
def passwd(name: str, password_stdin: bool, db_url: str | None) -> None:
    """Set a new password for NAME and log NAME out everywhere."""
    password = _password(password_stdin)
    _on_store(db_url, name, lambda store: store.set_password(name, password))
    click.echo(f"user {name}: password changed, all sessions ended")


@command.command("disable")
@click.argument("name")
@click.option("--db", "db_url", default=None, help=DB_HELP)
def disable(name: str, db_url: str | None) -> None:
    """Stop NAME from logging in and end NAME's sessions (the account and its overrides stay)."""
    _on_store(db_url, name, lambda store: store.set_active(name, False))
    click.echo(f"user {name}: disabled, all sessions ended")


@command.command("enable")
@click.argument("name")
@click.option("--db", "db_url", default=None, help=DB_HELP)
def enable(name: str, db_url: str | None) -> None:
    """Let a disabled NAME log in again with their existing password."""
    _on_store(db_url, name, lambda store: store.set_active(name, True))
    click.echo(f"user {name}: enabled")
