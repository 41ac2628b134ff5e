"""Example step services and pipelines for Podium's demo (``podium demo``).

``examples.file_ingest`` holds the four services of ``pipelines/file_ingest.yaml``;
``data/sample_sales.csv`` is the file the demo lands.
"""

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_CSV = DATA_DIR / "sample_sales.csv"
PIPELINES_DIR = Path(__file__).parent / "pipelines"

__all__ = ["DATA_DIR", "PIPELINES_DIR", "SAMPLE_CSV"]
