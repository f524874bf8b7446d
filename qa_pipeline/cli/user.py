"""`qa-pipeline user add NAME --role ...`: manage review app accounts."""

from __future__ import annotations

import sys

import click

from qa_pipeline.errors import ConfigError

ROLE_CHOICE = click.Choice(["supervisor", "trainer", "agent"])


@click.group()
def command() -> None:
    """Create review app accounts or reset their password."""


@command.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLE_CHOICE, help="supervisor: sees all, may override; "
              "trainer: sees all, may export clips; agent: sees only their own calls.")
@click.option("--agent-id", default=None, help="The agent id in scorecards (required for --role agent).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--db", "db_url", default=None, help="Store URL (default: $QA_PIPELINE_DB or data/store/).")
def add(name: str, role: str, agent_id: str | None, password_stdin: bool, db_url: str | None) -> None:
    """Create the account NAME, or reset its role and password if it exists."""
    from qa_pipeline.store import open_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = open_store(db_url)
    try:
        user = store.add_user(name, role, password, agent_id)
    except ValueError as exc:
        raise ConfigError(f"user {name!r}: {exc}") from exc
    finally:
        store.close()
    suffix = f" for agent {user.agent_id}" if user.agent_id else ""
    click.echo(f"user {user.name} ({user.role}{suffix}) saved")
