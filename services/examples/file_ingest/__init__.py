"""The file-ingest demo: validate -> aggregate + profile -> load -> notify, on local files.

See ``services`` for the Service objects and ``../pipelines/file_ingest.yaml``
for the pipeline they serve.
"""
