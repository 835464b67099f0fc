"""gunicorn settings for `gunicorn app.main:app` (gunicorn reads this file from the working
directory), the same locally, in the tests and in the container. Command-line flags override what
is set here; the environment variables below override the defaults (README, "Configuration")."""

import sys

from app.errors import ConfigError

# The defaults, in one place. Why these: docs/deploy.md ("Workers, threads and instances").
# One process: /memory's galleries (and Mesop's memory backend) live in one process, and Cloud
# Run's session affinity picks an instance, never a worker inside it. Threads give concurrency
# within that process: a long reply (an upload, an add with progress) does not hold up every
# other user. Rendering is CPU-bound and shares one GIL, so more CPUs need more workers
# (docs/performance.md, "Under load"). 64 threads, not 8: gthread gives each connection a thread
# while it sends its request, however slowly, so 8 slow clients stalled every other visitor;
# 50 held open now leave threads free (docs/deploy.md, "Slow clients"). Cloud Run still lets
# only --concurrency requests in at once.
WORKERS = 1  # WEB_CONCURRENCY
THREADS = 64  # GUNICORN_THREADS
WORKER_CLASS = "gthread"  # GUNICORN_WORKER_CLASS
TIMEOUT = 0  # GUNICORN_TIMEOUT; 0: never kill a busy worker (Cloud Run times requests out itself)

try:
    # Importing app.config reads every setting: a bad value stops gunicorn here, in one line.
    from app.config import server, settings
    from app.gcs import bucket, emulator

    _server = server(WORKERS, THREADS, WORKER_CLASS, TIMEOUT)
except ConfigError as error:
    sys.exit(f"Refusing to start: {error}")

# GUNICORN_HOST is 127.0.0.1 unless set: the container sets 0.0.0.0, as Cloud Run requires.
bind = f"{_server.host}:{_server.port}"
workers = _server.workers
threads = _server.threads
worker_class = _server.worker_class
timeout = _server.timeout
# Cloud Run sends SIGTERM and kills the container 10 s later: finish requests in time.
graceful_timeout = 8
# No runtime control socket (gunicornc): nothing uses it, the container's user has no home
# directory for it, and servers started side by side (the tests) would share one default path.
control_socket_disable = True


def create_mesop_session_table() -> None:
    """With MESOP_STATE_SESSION_BACKEND=sql, Mesop makes its table when its state_session module
    is imported, in each worker; two workers on a fresh database could both try, and one failed
    to boot ("table mesop_state_sessions already exists"), which stopped gunicorn. Importing it
    here, in the master, makes the table once before any worker exists; its connections are
    then closed, so that each forked worker opens its own (SQLAlchemy's rule for fork)."""
    if settings.state_backend != "sql":
        return
    try:
        from mesop.server import state_session
    except Exception as error:  # the database: unreachable, or refusing; its URI is never shown
        sys.exit(
            "Refusing to start: Mesop's sql state backend could not open its table "
            f"({type(error).__name__}); check MESOP_STATE_SESSION_BACKEND_SQL_CONNECTION_URI"
        )

    engine = getattr(state_session.state_session, "db", None)
    if engine is not None:
        engine.dispose()


def on_starting(server: object) -> None:
    """Start the local GCS emulator once, in the master, before the workers fork (they find it
    through STORAGE_EMULATOR_HOST), and, with that embedded emulator, make the throwaway signing
    key here so that every worker signs with the same identity. (Each worker still caches its own
    URLs: with several workers the browser may see two URLs for one image, and fetch it twice.)

    A setting that cannot work (on Cloud Run without GCS_BUCKET) stops gunicorn with one line
    naming it, not a traceback, before any worker starts."""
    create_mesop_session_table()
    try:
        started = emulator.start_for_app()
    except ConfigError as error:
        sys.exit(f"Refusing to start: {error}")
    if started is not None:
        bucket.local_credentials()


def on_exit(server: object) -> None:
    emulator.stop_owned()
