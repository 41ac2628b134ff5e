"""`podium schemas`: placeholder, replaced by the module's owner."""

import click


@click.group(name="schemas")
def group() -> None:
    """(not yet implemented)"""
