"""gunicorn settings for `gunicorn app.main:app` (gunicorn reads this file from the working
directory). Command-line flags override what is set here."""

from gcs import bucket, emulator


def on_starting(server: object) -> None:
    """Start the local GCS emulator once, in the master, before the workers fork (they find it
    through STORAGE_EMULATOR_HOST), and, with that embedded emulator, make the throwaway signing
    key here so that every worker signs with the same identity. (Each worker still caches its own
    URLs: with several workers the browser may see two URLs for one image, and fetch it twice.)"""
    if emulator.start_for_app() is not None:
        bucket.local_credentials()


def on_exit(server: object) -> None:
    emulator.stop_owned()
