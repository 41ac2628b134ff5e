"""`podium broker`: placeholder, replaced by the module's owner."""

import click


@click.group(name="broker")
def group() -> None:
    """(not yet implemented)"""
