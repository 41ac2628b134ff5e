"""Where Podium finds the contract files it ships: schemas, topic files, the broker's
Maven project and the demo's example services.

In a source checkout (and an editable install) they are the repository's own top-level
folders, the ones other stacks read too. A built wheel carries a copy of each under
``podium/_bundled/`` (``setup.py`` puts it there), found with :mod:`importlib.resources`,
so an installed ``podium`` needs no checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

BUNDLED = "_bundled"
"""The package-data folder of a built wheel."""

CHECKOUT_PATHS = {
    "schemas": "schemas",
    "topics": "topics",
    "kafka": "deploy/kafka",
    "examples": "services/examples",
}
"""Each bundled folder's name -> where it lives in a source checkout (``setup.py`` reads
this too, to copy them into the wheel)."""


def bundled(name: str, package: Path | None = None) -> Path:
    """The folder ``name`` (a key of :data:`CHECKOUT_PATHS`): the wheel's copy when
    installed from one, else the checkout's; ConfigError when neither exists.
    ``package`` is the ``podium`` package's folder (default: where it was imported from)."""
    package = package or Path(str(resources.files("podium")))
    for folder in (package / BUNDLED / name, package.parents[1] / CHECKOUT_PATHS[name]):
        if folder.is_dir():
            return folder
    from podium.errors import ConfigError  # here: setup.py runs this file without podium

    raise ConfigError(
        f"Podium's {name!r} files are missing: neither {package / BUNDLED / name} (an "
        f"installed wheel) nor {package.parents[1] / CHECKOUT_PATHS[name]} (a source "
        f"checkout) exists; reinstall Podium (pip install podium, or pip install . in "
        f"a checkout)"
    )
