"""The four step services of the file-ingest demo, for ``podium service``:

podium service examples.file_ingest.services:validate
podium service examples.file_ingest.services:transform
podium service examples.file_ingest.services:load
podium service examples.file_ingest.services:notify
"""

from examples.file_ingest.load import service as load
from examples.file_ingest.notify import service as notify
from examples.file_ingest.transform import service as transform
from examples.file_ingest.validate import service as validate

ALL = (validate, transform, load, notify)

__all__ = ["ALL", "load", "notify", "transform", "validate"]
