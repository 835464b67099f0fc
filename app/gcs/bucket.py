"""The bucket the /gcs page uses, chosen from the environment, and storage errors made readable.

- GCS_BUCKET set: that bucket, with Application Default Credentials (Cloud Run's service account).
- otherwise STORAGE_EMULATOR_HOST (set by you, or by the embedded emulator at start-up): the
  emulator, with a bucket created on first use.
Every call has short timeouts (2 s to connect, 3 s to read) and a 3 s retry budget, so a storage
outage becomes a message on the page within seconds instead of a request hanging for the client
library's default two minutes.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import google.auth
import google.auth.exceptions
import requests
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from app import config
from app.errors import StoreUnavailable
from app.gcs import emulator
from app.gcs.signing import UrlSigner, local_credentials, signing_credentials

LOCAL_BUCKET = emulator.LOCAL_BUCKET
TIMEOUT = (2, 3)  # seconds to connect, to read: a hung storage must not hang a click
RETRY = DEFAULT_RETRY.with_timeout(3)
CLOUD_STORAGE = "https://storage.googleapis.com"


class StorageUnavailable(StoreUnavailable):
    pass


@dataclass(frozen=True)
class Storage:
    bucket: storage.Bucket
    signer: UrlSigner
    where: str  # for the page: where the images are


_lock = threading.Lock()
_storage: Storage | None = None


def get() -> Storage:
    """The configured bucket, connected on first use; a failure is retried on the next call."""
    global _storage
    with _lock:
        if _storage is None:
            with errors("connecting to Cloud Storage"):
                _storage = _connect(config.load())
        return _storage


def _connect(settings: config.Settings) -> Storage:
    lifetime = datetime.timedelta(minutes=settings.signed_url_minutes)
    if settings.gcs_bucket:
        credentials, project = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        client = storage.Client(project=project, credentials=credentials)
        signer = UrlSigner(
            signing_credentials(credentials, settings.signing_service_account), lifetime
        )
        return Storage(client.bucket(settings.gcs_bucket), signer, f"gs://{settings.gcs_bucket}")
    if not settings.storage_emulator_host:
        raise StorageUnavailable(
            os.environ.get(emulator.START_ERROR)
            or "no storage is configured: set GCS_BUCKET, or STORAGE_EMULATOR_HOST, or start the "
            "app with `mesop app/main.py` or gunicorn from the repository root so that it starts "
            "its embedded emulator"
        )
    client = storage.Client(project="local", credentials=AnonymousCredentials())
    bucket = client.bucket(LOCAL_BUCKET)
    if not bucket.exists(timeout=TIMEOUT, retry=RETRY):
        with contextlib.suppress(api_exceptions.Conflict):  # another worker was first
            client.create_bucket(LOCAL_BUCKET, timeout=TIMEOUT, retry=RETRY)
    public = settings.emulator_public_url or settings.storage_emulator_host
    signer = UrlSigner(local_credentials(), lifetime, endpoint=public)
    return Storage(bucket, signer, f"the local emulator at {public}, bucket {LOCAL_BUCKET}")


def upload_origin() -> str:
    """Where browsers send their uploads ("" if no storage is configured): every page's
    Content-Security-Policy must allow it, since Mesop navigates between pages without loading
    a new document, and the first page's policy is the one that counts."""
    settings = config.load()
    if settings.gcs_bucket:
        return CLOUD_STORAGE
    return settings.emulator_public_url or settings.storage_emulator_host


def check() -> None:
    """Raise StorageUnavailable unless the bucket answers now (a listing of one object)."""
    with errors("connecting to Cloud Storage"):
        target = get().bucket
        next(iter(target.list_blobs(max_results=1, timeout=TIMEOUT, retry=RETRY)), None)


@contextlib.contextmanager
def errors(doing: str) -> Iterator[None]:
    """Turn the client library's many exceptions into one StorageUnavailable a person can read."""
    try:
        yield
    except StorageUnavailable:
        raise
    except api_exceptions.NotFound as error:
        raise StorageUnavailable(
            f"{doing} failed: not found ({error.message}). Does the bucket exist?"
        ) from error
    except (
        api_exceptions.Forbidden,
        api_exceptions.Unauthorized,
        google.auth.exceptions.GoogleAuthError,
    ) as error:
        raise StorageUnavailable(
            f"{doing} failed: the credentials were refused ({type(error).__name__}). Check the "
            "service account's roles (docs/deploy.md)."
        ) from error
    except (
        requests.exceptions.RequestException,
        api_exceptions.RetryError,
        api_exceptions.ServerError,
        ConnectionError,
        TimeoutError,
    ) as error:
        raise StorageUnavailable(
            f"{doing} failed: Cloud Storage is unreachable ({type(error).__name__}). "
            "Your images are safe in the bucket; try again in a moment."
        ) from error
    except api_exceptions.GoogleAPICallError as error:
        raise StorageUnavailable(f"{doing} failed: {error.code} {error.message}") from error
    except ValueError as error:  # a setup problem, e.g. no account to sign URLs with
        raise StorageUnavailable(f"{doing} failed: {error}") from error
