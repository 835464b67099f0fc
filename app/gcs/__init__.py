"""Cloud Storage plumbing for the /gcs pattern: the embedded emulator, URL signing, the bucket.

Kept apart from app/stores/gcs_store.py so that the pattern itself (upload, sign, render) reads
in one short file, and so that process-wide resources (the emulator process, the signing key, the
URL cache) are not re-created when Mesop's hot reload re-imports the pages.
"""
