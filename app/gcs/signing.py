"""V4 signed URLs: GET URLs cached per object so the browser sees the same URL again, and PUT URLs
for the browser's uploads (one object each, content type and size bound into the signature).

Why cache: a signed URL is a fresh string each time it is made, and a fresh string is a browser
cache miss; re-signing every thumbnail on every render would also put RSA (or, on Cloud Run, an IAM
API call per URL) on the hot path. So a URL is reused until `refresh_before` of its lifetime is
left, then replaced.

Which key signs:
- locally (emulator), a throwaway RSA key made at start-up and never written to disk;
- with a service-account key (GOOGLE_APPLICATION_CREDENTIALS), that key;
- on Cloud Run, whose runtime credentials hold no key, the IAM signBlob API, as the runtime's
  service account (it needs roles/iam.serviceAccountTokenCreator on itself).
"""

from __future__ import annotations

import base64
import datetime
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import google.auth.credentials
import google.auth.transport.requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import iam
from google.cloud.storage import Bucket
from google.oauth2 import service_account

TOKEN_URI = "https://oauth2.googleapis.com/token"
LOCAL_SIGNER_EMAIL = "local-signer@mesop-gallery.iam.gserviceaccount.com"


def key_credentials(key: rsa.RSAPrivateKey, email: str) -> service_account.Credentials:
    """Service-account credentials for a private key, as if loaded from a key file."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return service_account.Credentials.from_service_account_info(
        {
            "type": "service_account",
            "client_email": email,
            "private_key": pem,
            "token_uri": TOKEN_URI,
        }
    )


def throwaway_credentials() -> service_account.Credentials:
    """A service-account identity whose key exists only in this process's memory."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key_credentials(key, LOCAL_SIGNER_EMAIL)


@functools.cache
def local_key() -> rsa.RSAPrivateKey:
    """The app's throwaway key with the embedded emulator: one per process tree (gunicorn's
    master makes it before forking), so every worker signs as the same identity, and the
    emulator's door can check upload signatures with its public half."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def local_credentials() -> service_account.Credentials:
    return key_credentials(local_key(), LOCAL_SIGNER_EMAIL)


def public_key_text(key: rsa.RSAPrivateKey) -> str:
    """The key's public half as one line (base64 DER), for the door's command line."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def iam_credentials(
    source: google.auth.credentials.Credentials,
    email: str,
    request: google.auth.transport.Request | None = None,
) -> service_account.Credentials:
    """Credentials whose signer is the IAM signBlob API, called with `source`'s access token."""
    request = request or google.auth.transport.requests.Request()
    signer = iam.Signer(request, source, email)
    return service_account.Credentials(signer, email, TOKEN_URI)


def signing_credentials(
    credentials: google.auth.credentials.Credentials,
    service_account_email: str = "",
    request: google.auth.transport.Request | None = None,
) -> google.auth.credentials.Signing:
    """Use the credentials' own key if they have one; otherwise sign through IAM."""
    if isinstance(credentials, google.auth.credentials.Signing) and not service_account_email:
        return credentials
    email = service_account_email or getattr(credentials, "service_account_email", "")
    if not email or email == "default":
        # Compute Engine / Cloud Run credentials learn their email from the metadata server.
        request = request or google.auth.transport.requests.Request()
        credentials.refresh(request)
        email = getattr(credentials, "service_account_email", "")
    if not email or email == "default":
        raise ValueError(
            "cannot tell which service account signs URLs: set GCS_SIGNING_SERVICE_ACCOUNT"
        )
    return iam_credentials(credentials, email, request)


CONTENT_LENGTH_RANGE = "x-goog-content-length-range"


@dataclass(frozen=True)
class UploadUrl:
    """Where and how the browser PUTs one file: the URL, and the headers it must send as signed."""

    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class _Entry:
    url: str
    expires_at: float


class UrlSigner:
    """Signs GET URLs for a bucket's objects and reuses each until it is close to expiry."""

    def __init__(
        self,
        credentials: google.auth.credentials.Signing,
        lifetime: datetime.timedelta = datetime.timedelta(minutes=15),
        endpoint: str | None = None,
        refresh_before: float = 1 / 3,
        max_entries: int = 20_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials
        self.lifetime = lifetime
        self.endpoint = endpoint  # None: https://storage.googleapis.com
        self.margin = lifetime.total_seconds() * refresh_before
        self.max_entries = max_entries
        self.clock = clock
        self._cache: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def url(self, bucket: Bucket, name: str) -> str:
        """The bucket's object `name` as a signed GET URL."""
        return self.urls(bucket, [name])[0]

    def urls(self, bucket: Bucket, names: Sequence[str]) -> list[str]:
        """Signed GET URLs for the bucket's objects `names`, in order.

        Why names, not Blobs, and a batch: a render asks for every thumbnail's URL, and nearly
        every one is a cache hit. Looking them all up under one lock, with one clock reading and
        no object made per name, keeps a 48-image grid's URLs to a few microseconds each.
        """
        now = self.clock()
        urls: list[str] = []
        with self._lock:
            for name in names:
                entry = self._cache.get((bucket.name, name))
                if entry is not None and entry.expires_at - now > self.margin:
                    self._cache.move_to_end((bucket.name, name))
                    urls.append(entry.url)
                else:
                    urls.append("")
        # Each missing object signed once, however often it appears: galleries repeat objects
        # (every batch of samples points at the same shared thumbnails).
        missing = dict.fromkeys(name for name, url in zip(names, urls, strict=True) if not url)
        signed = {name: self._sign(bucket, name, now) for name in missing}
        return [url or signed[name] for name, url in zip(names, urls, strict=True)]

    def _sign(self, bucket: Bucket, name: str, now: float) -> str:
        key = (bucket.name, name)
        url = bucket.blob(name).generate_signed_url(
            version="v4",
            expiration=self.lifetime,
            method="GET",
            credentials=self.credentials,
            api_access_endpoint=self.endpoint,
        )
        with self._lock:
            self._cache[key] = _Entry(url, now + self.lifetime.total_seconds())
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return url

    def upload_url(self, bucket: Bucket, name: str, content_type: str, max_bytes: int) -> UploadUrl:
        """A V4 signed PUT URL for the one object `name`, valid for this signer's lifetime.

        The content type and `x-goog-content-length-range` are signed headers: Cloud Storage
        refuses the PUT unless the browser sends both exactly as signed, and refuses a body
        outside the range, so the server decides what may be uploaded, and how much. Never
        cached: each upload gets a fresh, unguessable object name.
        """
        extension = {CONTENT_LENGTH_RANGE: f"0,{max_bytes}"}
        url = bucket.blob(name).generate_signed_url(
            version="v4",
            expiration=self.lifetime,
            method="PUT",
            content_type=content_type,
            headers=dict(extension),
            credentials=self.credentials,
            api_access_endpoint=self.endpoint,
        )
        return UploadUrl(url, {"Content-Type": content_type, **extension})
