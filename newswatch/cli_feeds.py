"""CLI commands of the feeds area; newswatch.cli registers everything in COMMANDS."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
