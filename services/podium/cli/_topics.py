"""`podium topics`: placeholder, replaced by the module's owner."""

import click


@click.group(name="topics")
def group() -> None:
    """(not yet implemented)"""
