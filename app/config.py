"""Every setting of the app, read once from the environment, with defaults that work on a laptop.

Why one module: the README's configuration table, the tests and the pages all read the same
`settings` object, so a setting has one name, one default and one place to document it. It is
the app's one way to read its settings; `load()` reads them afresh (the embedded emulator, which
sets variables for its process tree, and the tests). A bad value raises ConfigError (app.errors)
naming the variable: app.main and gunicorn.conf.py turn it into one line and stop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.errors import ConfigError

# Where the embedded emulator keeps objects, so galleries survive a restart of the app.
DEFAULT_EMULATOR_DATA = Path(__file__).resolve().parent.parent / ".gcs-data"
# The /database page's embedded default: SQLite in one file, made on first use.
DEFAULT_DATABASE = Path(__file__).resolve().parent.parent / ".db-data" / "gallery.sqlite3"

__all__ = ["ConfigError", "ServerSettings", "Settings", "load", "server", "settings"]


def _int(name: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={value} is above the maximum of {maximum}")
    return value


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


MB = 1000 * 1000  # as DevTools counts (app/units.py); Cloud Run's request cap is 32 MiB
MIB = 1024 * 1024
DATABASE_SCHEMES = ("sqlite:///", "postgresql+psycopg://")


def _database_url(name: str, default: str) -> str:
    """A URL SQLAlchemy can use, for a database that outlives a connection. Never echoed in an
    error: it may hold a password."""
    value = _str(name, default)
    try:
        url = make_url(value)
        url.port  # noqa: B018 (parsed lazily: a port that is not a number fails here)
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"{name} is not a database URL (not repeated here: it may hold a password)"
        ) from None
    if not value.startswith(DATABASE_SCHEMES):
        raise ConfigError(f"{name} must start with {' or '.join(DATABASE_SCHEMES)}")
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ConfigError(
            f"{name} must name a SQLite file: an in-memory database is one per connection"
        )
    return value


@dataclass(frozen=True)
class Settings:
    """Upload limits and image sizes shared by every pattern, so the comparison stays fair, and
    where /gcs keeps its images."""

    max_upload_bytes: int
    max_image_pixels: int
    max_files_per_upload: int
    max_gallery_images: int
    visitor_images: int  # one visitor's share: images added per window (app/gallery/fairness.py)
    visitor_bytes: int  # ...and bytes of display images added per window
    visitor_window_seconds: int
    trusted_proxies: int  # proxies in front that append the client's address to X-Forwarded-For
    max_decode_bytes: int  # one image's pixels while it is processed (processing.decode_bytes)
    decode_budget_bytes: int  # every image being processed in one process, together
    max_request_bytes: int
    request_budget_bytes: int  # large /__ui__ requests in flight in one process, together
    request_body_seconds: int  # a request body gets this long, then must average 4 kB/s
    display_max_px: int
    thumb_max_px: int
    display_quality: int
    thumb_quality: int
    gcs_bucket: str
    storage_emulator_host: str
    emulator_port: int
    emulator_public_url: str
    emulator_data_dir: str
    signed_url_minutes: int
    signing_service_account: str
    on_cloud_run: bool
    memory_ttl_seconds: int
    memory_max_bytes: int
    memory_max_gallery_bytes: int
    database_url: str  # /database: a SQLAlchemy URL (SQLite by default, PostgreSQL for Cloud SQL)
    database_max_gallery_bytes: int
    database_max_bytes: int  # every gallery's JPEGs together; the oldest go first beyond it
    state_backend: str  # Mesop's own MESOP_STATE_SESSION_BACKEND, shown in every page's footer
    timing_log: str  # for the benchmarks: a file that gets each /__ui__ request's server time

    @property
    def embedded_emulator(self) -> bool:
        """No bucket and no emulator named: the app runs fake-gcs-server itself."""
        return not self.gcs_bucket and not self.storage_emulator_host


def load() -> Settings:
    loaded = Settings(
        max_upload_bytes=_int("GALLERY_MAX_UPLOAD_BYTES", 15 * MB),
        max_image_pixels=_int("GALLERY_MAX_IMAGE_PIXELS", 40_000_000),
        max_files_per_upload=_int("GALLERY_MAX_FILES_PER_UPLOAD", 20),
        max_gallery_images=_int("GALLERY_MAX_IMAGES", 100),
        visitor_images=_int("GALLERY_VISITOR_IMAGES", 120),
        visitor_bytes=_int("GALLERY_VISITOR_BYTES", 64 * MB, minimum=MB),
        visitor_window_seconds=_int("GALLERY_VISITOR_WINDOW_SECONDS", 600),
        trusted_proxies=_int("GALLERY_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
        max_decode_bytes=_int("GALLERY_MAX_DECODE_BYTES", 256 * MB, minimum=MB),
        decode_budget_bytes=_int("GALLERY_DECODE_BUDGET_BYTES", 256 * MB, minimum=MB),
        # Cloud Run's front end refuses HTTP/1 requests over 32 MiB with a 413 that Mesop's
        # client does not show; the app's own limit, at the same size, says what happened.
        max_request_bytes=_int("GALLERY_MAX_REQUEST_BYTES", 32 * MIB, minimum=MB),
        request_budget_bytes=_int("GALLERY_REQUEST_BUDGET_BYTES", 32 * MIB, minimum=MB),
        # A client that trickles its body holds a worker thread while it does (docs/deploy.md,
        # "Slow clients"); the bodies of this app's requests arrive in well under a second.
        request_body_seconds=_int("GALLERY_REQUEST_BODY_SECONDS", 10),
        display_max_px=_int("GALLERY_DISPLAY_MAX_PX", 1600, minimum=16),
        thumb_max_px=_int("GALLERY_THUMB_MAX_PX", 320, minimum=16),
        display_quality=_int("GALLERY_DISPLAY_QUALITY", 85, maximum=95),
        thumb_quality=_int("GALLERY_THUMB_QUALITY", 80, maximum=95),
        gcs_bucket=_str("GCS_BUCKET"),
        storage_emulator_host=_str("STORAGE_EMULATOR_HOST"),
        emulator_port=_int("GCS_EMULATOR_PORT", 0, minimum=0, maximum=65535),
        emulator_public_url=_str("GCS_EMULATOR_PUBLIC_URL").rstrip("/"),
        emulator_data_dir=_str("GCS_EMULATOR_DATA_DIR", str(DEFAULT_EMULATOR_DATA)),
        signed_url_minutes=_int("GCS_SIGNED_URL_MINUTES", 15, maximum=7 * 24 * 60),
        signing_service_account=_str("GCS_SIGNING_SERVICE_ACCOUNT"),
        on_cloud_run=bool(os.environ.get("K_SERVICE")),
        memory_ttl_seconds=_int("MEMORY_TTL_SECONDS", 600),
        memory_max_bytes=_int("MEMORY_MAX_BYTES", 256 * MB, minimum=MB),
        memory_max_gallery_bytes=_int("MEMORY_MAX_GALLERY_BYTES", 32 * MB),
        database_url=_database_url("DATABASE_URL", f"sqlite:///{DEFAULT_DATABASE}"),
        database_max_gallery_bytes=_int("DATABASE_MAX_GALLERY_BYTES", 32 * MB),
        database_max_bytes=_int("DATABASE_MAX_BYTES", 256 * MB, minimum=MB),
        state_backend=_str("MESOP_STATE_SESSION_BACKEND", "none"),
        timing_log=_str("GALLERY_TIMING_LOG"),
    )
    if loaded.decode_budget_bytes < loaded.max_decode_bytes:
        raise ConfigError(
            "GALLERY_DECODE_BUDGET_BYTES must be at least GALLERY_MAX_DECODE_BYTES "
            f"({loaded.max_decode_bytes}): one image must fit in the budget of all"
        )
    if loaded.request_budget_bytes < loaded.max_request_bytes:
        raise ConfigError(
            "GALLERY_REQUEST_BUDGET_BYTES must be at least GALLERY_MAX_REQUEST_BYTES "
            f"({loaded.max_request_bytes}): the largest request must fit in the budget of all"
        )
    return loaded


settings = load()


@dataclass(frozen=True)
class ServerSettings:
    """How gunicorn serves the app (gunicorn.conf.py). Why here and not in gunicorn.conf.py: the
    same validation (a bad value names its variable) and the same documented table as every other
    setting."""

    host: str
    port: int
    workers: int
    threads: int
    worker_class: str
    timeout: int


def server(workers: int, threads: int, worker_class: str, timeout: int) -> ServerSettings:
    """The environment's choices over the defaults that gunicorn.conf.py passes in."""
    return ServerSettings(
        host=_str("GUNICORN_HOST", "127.0.0.1"),
        port=_int("PORT", 8080, maximum=65535),
        workers=_int("WEB_CONCURRENCY", workers),
        threads=_int("GUNICORN_THREADS", threads),
        worker_class=_str("GUNICORN_WORKER_CLASS", worker_class),
        timeout=_int("GUNICORN_TIMEOUT", timeout, minimum=0),
    )
