"""`flask --app gateway backup PATH` and `restore-check PATH` (docs/OPERATIONS.md, Backups)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from storage.backup import BackupError, backup, restore_check
from web.current import current_settings


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH while Telepasar keeps serving.

    SQLite: a SQLite file (its online backup API). PostgreSQL: a pg_dump archive (custom
    format). PATH must not exist yet.
    """
    try:
        size = backup(current_settings().database_url, path, click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written: {path} ({size:,} bytes). Check it: restore-check {path}")


@click.command("restore-check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_check_command(path: Path) -> None:
    """Open the backup at PATH without changing it: is its schema at this code's newest
    migration, and how many rows has each table? Ends with 1 when it is not at head."""
    try:
        checked = restore_check(path, current_settings().database_url, click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    width = max((len(name) for name in checked.rows), default=0)
    for name, count in checked.rows.items():
        click.echo(f"  {name:<{width}}  {count:>9,}")
    if not checked.at_head:
        raise click.ClickException(
            f"the copy's schema is at {checked.revision or 'nothing'}, this code's at "
            f"{checked.head}: restore it, then run `flask --app gateway migrate`"
        )
    click.echo(f"Schema at head ({checked.head}); {checked.rows.get('orders', 0):,} orders.")
