"""`newswatch health --service NAME`: one line and exit 0/1, for compose healthchecks."""

from __future__ import annotations

import click

from shared.health import SERVICES


@click.command()
@click.option("--service", "service", type=click.Choice(SERVICES), required=True,
              help="Which service of this container to check.")
def health(service: str) -> None:
    """Database and Redis reachable, and this host's SERVICE loop alive (exit 0), else exit 1."""
    from shared.health import check_service
    from shared.settings import get_settings

    probes = check_service(service, get_settings())
    failed = next((probe for probe in probes if not probe.ok), None)
    if failed is not None:
        click.echo(f"{service} unhealthy: {failed.what}")
        raise SystemExit(1)
    click.echo(f"{service} healthy: {'; '.join(probe.what for probe in probes)}")


COMMANDS = [health]
