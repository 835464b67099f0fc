"""V4 signed URLs: their shape, their signature, their cache, upload (PUT) URLs, and the IAM
signBlob path.

These are unit tests, not end-to-end tests, because nothing end-to-end would notice a broken URL:
the local GCS emulator checks neither signatures nor expiry, so it serves a bad URL as happily as a
good one, and real Cloud Storage is not reachable from a test run. So the URLs themselves are taken
apart here, and their signatures are checked the way Cloud Storage would: the canonical request and
string-to-sign are rebuilt from Google's V4 specification (not from the library's code), and the
signature is verified with the signing key's public half.

Everything is real (google-cloud-storage, google-auth, cryptography); the only stand-ins are the
HTTP transport handed to google-auth (`FakeGoogle`, which plays the IAM signBlob API and the
metadata server) and an injected clock for the cache. No network, no server.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import string
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import google.auth.credentials
import google.auth.exceptions
import google.auth.transport
import google.oauth2.credentials
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth import compute_engine, crypt
from google.cloud import storage
from google.oauth2 import service_account

from app.gcs.signing import (
    LOCAL_SIGNER_EMAIL,
    TOKEN_URI,
    UrlSigner,
    iam_credentials,
    key_credentials,
    local_credentials,
    local_key,
    public_key_text,
    signing_credentials,
    throwaway_credentials,
)

ENDPOINT = "http://127.0.0.1:9999"
FIFTEEN_MINUTES = datetime.timedelta(minutes=15)
KEY_EMAIL = "key-holder@proj.iam.gserviceaccount.com"
IAM_EMAIL = "svc@proj.iam.gserviceaccount.com"
ACCESS_TOKEN = "test-access-token"
SIGN_BLOB_URL = (
    f"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/{IAM_EMAIL}:signBlob"
)
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
METADATA_ACCOUNT = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/"


# --- keys, credentials, objects ---


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    """The key of a service-account key file (what GOOGLE_APPLICATION_CREDENTIALS points at)."""
    return new_key()


@pytest.fixture(scope="module")
def iam_key() -> rsa.RSAPrivateKey:
    """The key Google holds for IAM_EMAIL: only the fake IAM API signs with it."""
    return new_key()


def key_file_credentials(
    key: rsa.RSAPrivateKey, email: str = KEY_EMAIL
) -> service_account.Credentials:
    """Credentials as loaded from a service-account key file holding `key`."""
    return key_credentials(key, email)


class CountingSigner(crypt.RSASigner):
    """A real RSA signer that counts its signatures (one per URL signed)."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        super().__init__(key)
        self.calls = 0

    def sign(self, message: bytes | str) -> bytes:
        self.calls += 1
        return super().sign(message)


def counting_credentials(
    key: rsa.RSAPrivateKey,
) -> tuple[service_account.Credentials, CountingSigner]:
    signer = CountingSigner(key)
    return service_account.Credentials(signer, KEY_EMAIL, TOKEN_URI), signer


def blob(name: str = "samples/abc.jpg", bucket: str = "b") -> tuple[storage.Bucket, str]:
    """An object, as UrlSigner.url takes it; making a client does no network I/O."""
    client = storage.Client(project="p", credentials=google.auth.credentials.AnonymousCredentials())
    return client.bucket(bucket), name


@dataclass
class FakeClock:
    """The cache's clock, moved by hand (seconds since the epoch, like time.time)."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- reading and verifying a V4 signed URL, per Google's specification ---

# https://cloud.google.com/storage/docs/authentication/canonical-requests: percent-encode every
# byte of the UTF-8 text except the unreserved characters A-Z a-z 0-9 - . _ ~
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")


def v4_encode(text: str, keep: str = "") -> str:
    return "".join(
        char if char in UNRESERVED or char in keep else "".join(f"%{b:02X}" for b in char.encode())
        for char in text
    )


@dataclass(frozen=True)
class SignedUrl:
    url: str
    scheme: str
    host: str  # host[:port], as the browser sends it in the Host header
    path: str  # still percent-encoded, as sent
    params: dict[str, str]  # decoded; each parameter appears once

    @property
    def date(self) -> str:
        return self.params["X-Goog-Date"]

    @property
    def credential_scope(self) -> str:
        return f"{self.date[:8]}/auto/storage/goog4_request"


def parse(url: str) -> SignedUrl:
    parts = urllib.parse.urlsplit(url)
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    params = dict(pairs)
    assert len(params) == len(pairs), f"a query parameter is repeated in {url}"
    return SignedUrl(url, parts.scheme, parts.netloc, parts.path, params)


def string_to_sign(
    signed: SignedUrl, method: str = "GET", headers: Mapping[str, str] | None = None
) -> str:
    """Rebuild what the signer must have signed, from the URL and the headers a request sends
    with it (a GET URL signs only the host)."""
    query = "&".join(
        f"{v4_encode(name)}={v4_encode(value)}"
        for name, value in sorted(signed.params.items())
        if name != "X-Goog-Signature"
    )
    sent = {"host": signed.host, **{k.lower(): v for k, v in (headers or {}).items()}}
    canonical_request = "\n".join(
        [
            method,
            signed.path,
            query,
            # canonical headers, each line ending in a newline
            "".join(f"{name}:{sent[name]}\n" for name in sorted(sent)),
            ";".join(sorted(sent)),  # signed headers
            "UNSIGNED-PAYLOAD",
        ]
    )
    return "\n".join(
        [
            "GOOG4-RSA-SHA256",
            signed.date,
            signed.credential_scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )


def signature(signed: SignedUrl) -> bytes:
    return bytes.fromhex(signed.params["X-Goog-Signature"])


def assert_signed_by(
    url: str,
    public_key: rsa.RSAPublicKey,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
) -> None:
    """Raise unless `url`, sent with `method` and `headers`, carries a valid signature made with
    `public_key`'s private half."""
    signed = parse(url)
    try:
        public_key.verify(
            signature(signed),
            string_to_sign(signed, method, headers).encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        pytest.fail(f"the signature does not verify: {url}")


def assert_v4_get_url(
    url: str, email: str, endpoint: str = ENDPOINT, path: str = "/b/samples/abc.jpg"
) -> SignedUrl:
    """Check everything about a signed GET URL except the signature; return it parsed."""
    signed = parse(url)
    expected = urllib.parse.urlsplit(endpoint)
    assert (signed.scheme, signed.host) == (expected.scheme, expected.netloc)
    assert signed.path == path
    assert set(signed.params) == {
        "X-Goog-Algorithm",
        "X-Goog-Credential",
        "X-Goog-Date",
        "X-Goog-Expires",
        "X-Goog-SignedHeaders",
        "X-Goog-Signature",
    }
    assert signed.params["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert signed.params["X-Goog-SignedHeaders"] == "host"
    credential = signed.params["X-Goog-Credential"]
    assert credential.startswith(f"{email}/")
    assert credential.endswith("/auto/storage/goog4_request")
    assert credential == f"{email}/{signed.credential_scope}"
    signed_at = datetime.datetime.strptime(signed.date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs(now - signed_at) < datetime.timedelta(minutes=1)
    assert len(signature(signed)) == 256  # one RSA-2048 signature
    return signed


# --- a stand-in for Google's HTTP APIs, at the google-auth transport level ---


@dataclass(frozen=True)
class FakeResponse:  # the shape of google.auth.transport.Response
    status: int
    headers: Mapping[str, str]
    data: bytes


def json_response(status: int, body: Any) -> FakeResponse:
    return FakeResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


@dataclass
class FakeGoogle(google.auth.transport.Request):
    """Plays the IAM Credentials signBlob API for IAM_EMAIL (signing with `key`) and, for the
    credentials that call it, the metadata server (Compute Engine / Cloud Run) and the OAuth token
    endpoint (key files). Anything else fails the test."""

    key: rsa.RSAPrivateKey
    sign_blob_status: int = 200
    metadata_email: str = IAM_EMAIL
    requests: list[str] = field(default_factory=list)  # "METHOD url", in order

    @property
    def sign_blob_calls(self) -> int:
        return self.requests.count(f"POST {SIGN_BLOB_URL}")

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> FakeResponse:
        self.requests.append(f"{method} {url}")
        lower = {name.lower(): value for name, value in (headers or {}).items()}
        if url.startswith(METADATA_ACCOUNT):
            assert lower.get("metadata-flavor") == "Google"
            if url == f"{METADATA_ACCOUNT}default/?recursive=true":
                return json_response(200, {"email": self.metadata_email, "scopes": ["x"]})
            if url.startswith(f"{METADATA_ACCOUNT}default/token"):
                return json_response(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600})
        if url == TOKEN_URI:  # a key file's credentials trade a signed JWT for an access token
            assert method == "POST"
            assert body is not None
            assert urllib.parse.parse_qs(body.decode())["grant_type"] == [JWT_GRANT]
            return json_response(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600})
        if url == SIGN_BLOB_URL:
            assert method == "POST"
            assert lower.get("authorization") == f"Bearer {ACCESS_TOKEN}"
            assert body is not None
            if self.sign_blob_status != 200:
                return json_response(self.sign_blob_status, {"error": {"status": "DENIED"}})
            payload = base64.b64decode(json.loads(body)["payload"])
            blob_signature = self.key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
            return json_response(
                200, {"keyId": "k", "signedBlob": base64.b64encode(blob_signature).decode()}
            )
        raise AssertionError(f"unexpected request: {method} {url}")


def token_credentials() -> google.oauth2.credentials.Credentials:
    """Credentials that hold only an access token (what signBlob is called with)."""
    return google.oauth2.credentials.Credentials(token=ACCESS_TOKEN)


# --- the URL ---


def test_local_signer_url_has_the_v4_shape_and_the_keys_signature() -> None:
    credentials = throwaway_credentials()
    url = UrlSigner(credentials, lifetime=FIFTEEN_MINUTES, endpoint=ENDPOINT).url(*blob())

    signed = assert_v4_get_url(url, LOCAL_SIGNER_EMAIL)
    assert signed.params["X-Goog-Expires"] == "900"
    # The throwaway key is not ours to read, but RSA PKCS#1 v1.5 signatures are deterministic:
    # the URL carries exactly the credentials' signature over the string-to-sign rebuilt here.
    assert signature(signed) == credentials.sign_bytes(string_to_sign(signed).encode())


def test_url_signature_verifies_with_the_public_key(key: rsa.RSAPrivateKey) -> None:
    signer = UrlSigner(key_file_credentials(key), lifetime=FIFTEEN_MINUTES, endpoint=ENDPOINT)
    url = signer.url(*blob())

    signed = assert_v4_get_url(url, KEY_EMAIL)
    assert signed.params["X-Goog-Expires"] == "900"
    assert_signed_by(url, key.public_key())


def test_the_verification_rejects_a_url_for_another_object_or_key(key: rsa.RSAPrivateKey) -> None:
    """The check above is worth something: a tampered URL, or another key, fails it."""
    url = UrlSigner(key_file_credentials(key), endpoint=ENDPOINT).url(*blob())

    tampered = url.replace("/samples/abc.jpg", "/samples/abd.jpg")
    with pytest.raises(pytest.fail.Exception):
        assert_signed_by(tampered, key.public_key())
    with pytest.raises(pytest.fail.Exception):
        assert_signed_by(url, new_key().public_key())


def test_awkward_object_names_are_encoded_and_signed_as_sent(key: rsa.RSAPrivateKey) -> None:
    name = "samples/a b+c&d=é~.jpg"
    url = UrlSigner(key_file_credentials(key), endpoint=ENDPOINT).url(*blob(name))

    path = "/b/" + v4_encode(name, keep="/")
    assert path == "/b/samples/a%20b%2Bc%26d%3D%C3%A9~.jpg"
    assert_v4_get_url(url, KEY_EMAIL, path=path)
    assert_signed_by(url, key.public_key())


def test_the_lifetime_sets_x_goog_expires(key: rsa.RSAPrivateKey) -> None:
    five_minutes = datetime.timedelta(minutes=5)
    url = UrlSigner(key_file_credentials(key), lifetime=five_minutes, endpoint=ENDPOINT).url(
        *blob()
    )

    assert parse(url).params["X-Goog-Expires"] == "300"
    assert_signed_by(url, key.public_key())


def test_without_an_endpoint_urls_point_at_cloud_storage(
    key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With STORAGE_EMULATOR_HOST set, the client's default endpoint would be the emulator.
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    url = UrlSigner(key_file_credentials(key), lifetime=FIFTEEN_MINUTES).url(*blob())

    signed = assert_v4_get_url(url, KEY_EMAIL, endpoint="https://storage.googleapis.com")
    assert (signed.scheme, signed.host) == ("https", "storage.googleapis.com")
    assert_signed_by(url, key.public_key())


# --- upload URLs: PUT of one object, its content type and size bound into the signature ---

RANGE = "x-goog-content-length-range"


def test_an_upload_url_signs_put_its_content_type_and_its_size_range(
    key: rsa.RSAPrivateKey,
) -> None:
    signer = UrlSigner(key_file_credentials(key), lifetime=FIFTEEN_MINUTES, endpoint=ENDPOINT)
    upload = signer.upload_url(*blob("incoming/g/abc"), "image/jpeg", 3_000_000)

    assert upload.headers == {"Content-Type": "image/jpeg", RANGE: "0,3000000"}
    signed = parse(upload.url)
    assert (signed.scheme, signed.host, signed.path) == (
        "http",
        "127.0.0.1:9999",
        "/b/incoming/g/abc",
    )
    assert signed.params["X-Goog-SignedHeaders"] == "content-type;host;x-goog-content-length-range"
    assert signed.params["X-Goog-Expires"] == "900"
    assert signed.params["X-Goog-Credential"].startswith(f"{KEY_EMAIL}/")
    assert_signed_by(upload.url, key.public_key(), "PUT", upload.headers)


@pytest.mark.parametrize(
    ("method", "changed"),
    [
        ("GET", {}),  # the upload URL is no read URL
        ("PUT", {"Content-Type": "image/png"}),  # another type than signed
        ("PUT", {RANGE: "0,99000000"}),  # a larger size than signed
        ("PUT", {"Content-Type": ""}),  # the type left out
    ],
)
def test_an_upload_url_does_not_verify_for_another_method_type_or_size(
    key: rsa.RSAPrivateKey, method: str, changed: dict[str, str]
) -> None:
    upload = UrlSigner(key_file_credentials(key), endpoint=ENDPOINT).upload_url(
        *blob("incoming/g/abc"), "image/jpeg", 1000
    )
    headers = {**upload.headers, **changed} if method == "PUT" else None
    with pytest.raises(pytest.fail.Exception):
        assert_signed_by(upload.url, key.public_key(), method, headers)


def test_an_upload_url_does_not_verify_for_another_object(key: rsa.RSAPrivateKey) -> None:
    upload = UrlSigner(key_file_credentials(key), endpoint=ENDPOINT).upload_url(
        *blob("incoming/g/abc"), "image/jpeg", 1000
    )
    other = upload.url.replace("/incoming/g/abc", "/incoming/g/abd")
    with pytest.raises(pytest.fail.Exception):
        assert_signed_by(other, key.public_key(), "PUT", upload.headers)


def test_upload_urls_are_signed_afresh_each_time(key: rsa.RSAPrivateKey) -> None:
    """Unlike read URLs: each upload gets its own object, so a cache would only hold them."""
    credentials, counter = counting_credentials(key)
    signer = UrlSigner(credentials, endpoint=ENDPOINT, clock=FakeClock())
    for name in ("incoming/g/a", "incoming/g/a", "incoming/g/b"):
        signer.upload_url(*blob(name), "image/png", 10)
    assert counter.calls == 3


def test_iam_signs_upload_urls_too(iam_key: rsa.RSAPrivateKey) -> None:
    """On Cloud Run the same signBlob call signs uploads: one per upload URL."""
    iam = FakeGoogle(iam_key)
    credentials = signing_credentials(
        token_credentials(), service_account_email=IAM_EMAIL, request=iam
    )
    upload = UrlSigner(credentials, endpoint=ENDPOINT).upload_url(
        *blob("incoming/g/abc"), "image/webp", 5
    )
    assert parse(upload.url).params["X-Goog-Credential"].startswith(f"{IAM_EMAIL}/")
    assert_signed_by(upload.url, iam_key.public_key(), "PUT", upload.headers)
    assert iam.sign_blob_calls == 1


def test_the_local_key_signs_the_local_credentials_and_is_made_once() -> None:
    """What the emulator's door is given (public_key_text) checks what the app signs with."""
    assert local_key() is local_key() and local_credentials() is local_credentials()
    upload = UrlSigner(local_credentials(), endpoint=ENDPOINT).upload_url(
        *blob("incoming/g/abc"), "image/gif", 7
    )
    public = serialization.load_der_public_key(base64.b64decode(public_key_text(local_key())))
    assert isinstance(public, rsa.RSAPublicKey)
    assert_signed_by(upload.url, public, "PUT", upload.headers)


# --- the cache ---


@pytest.mark.parametrize(
    ("minutes_later", "signs_again"),
    [
        (0, False),
        (9, False),
        (10 - 1 / 60, False),  # a second more than a third of the lifetime left
        (10, True),  # exactly a third left (5 minutes): replaced
        (11, True),
        (16, True),  # expired
    ],
)
def test_a_url_is_reused_while_more_than_a_third_of_its_lifetime_is_left(
    key: rsa.RSAPrivateKey, minutes_later: float, signs_again: bool
) -> None:
    credentials, counter = counting_credentials(key)
    clock = FakeClock()
    signer = UrlSigner(credentials, lifetime=FIFTEEN_MINUTES, endpoint=ENDPOINT, clock=clock)
    first = signer.url(*blob())
    assert counter.calls == 1

    clock.advance(minutes_later * 60)
    again = signer.url(*blob())

    assert counter.calls == (2 if signs_again else 1)
    if not signs_again:
        assert again == first
    assert_signed_by(again, key.public_key())


def test_a_replaced_url_is_then_reused_for_its_own_lifetime(key: rsa.RSAPrivateKey) -> None:
    credentials, counter = counting_credentials(key)
    clock = FakeClock()
    signer = UrlSigner(credentials, lifetime=FIFTEEN_MINUTES, endpoint=ENDPOINT, clock=clock)
    signer.url(*blob())
    clock.advance(11 * 60)
    replacement = signer.url(*blob())
    assert counter.calls == 2

    clock.advance(9 * 60)  # 20 minutes after the first signing, 9 after the second
    assert signer.url(*blob()) == replacement
    assert counter.calls == 2


def test_each_object_has_its_own_url(key: rsa.RSAPrivateKey) -> None:
    credentials, counter = counting_credentials(key)
    signer = UrlSigner(credentials, endpoint=ENDPOINT, clock=FakeClock())
    objects = [blob("samples/abc.jpg"), blob("samples/def.jpg"), blob("samples/abc.jpg", "b2")]

    urls = [signer.url(*each) for each in objects]

    assert counter.calls == 3
    assert [parse(url).path for url in urls] == [
        "/b/samples/abc.jpg",
        "/b/samples/def.jpg",
        "/b2/samples/abc.jpg",
    ]
    assert [signer.url(*each) for each in objects] == urls  # and each is cached on its own
    assert counter.calls == 3


def test_a_batch_keeps_order_and_signs_only_what_is_not_cached(key: rsa.RSAPrivateKey) -> None:
    """How a render asks: every thumbnail's URL at once (UrlSigner.urls)."""
    credentials, counter = counting_credentials(key)
    signer = UrlSigner(credentials, endpoint=ENDPOINT, clock=FakeClock())
    bucket, _ = blob()
    cached = signer.url(bucket, "samples/b.jpg")
    assert counter.calls == 1

    urls = signer.urls(bucket, ["samples/a.jpg", "samples/b.jpg", "samples/c.jpg"])

    assert counter.calls == 3  # a and c signed; b came from the cache
    assert urls[1] == cached
    assert [parse(url).path for url in urls] == ["/b/samples/a.jpg", "/b/samples/b.jpg",
                                                 "/b/samples/c.jpg"]  # fmt: skip
    assert signer.urls(bucket, ["samples/c.jpg", "samples/a.jpg"]) == [urls[2], urls[0]]
    assert counter.calls == 3
    assert signer.urls(bucket, []) == []


def test_a_batch_signs_a_repeated_object_once(key: rsa.RSAPrivateKey) -> None:
    """Galleries repeat objects (each batch of samples points at the same thumbnails): one
    signature and one URL per object, so the browser fetches each once."""
    credentials, counter = counting_credentials(key)
    signer = UrlSigner(credentials, endpoint=ENDPOINT, clock=FakeClock())
    bucket, _ = blob()

    urls = signer.urls(bucket, ["samples/a.jpg", "samples/b.jpg"] * 4)

    assert counter.calls == 2
    assert len(set(urls)) == 2 and urls == urls[:2] * 4


def test_the_cache_holds_at_most_max_entries(key: rsa.RSAPrivateKey) -> None:
    credentials, counter = counting_credentials(key)
    signer = UrlSigner(credentials, endpoint=ENDPOINT, max_entries=2, clock=FakeClock())
    a, b, c = blob("a.jpg"), blob("b.jpg"), blob("c.jpg")

    for each in (a, b, c):
        signer.url(*each)
    assert counter.calls == 3

    signer.url(*b)
    signer.url(*c)
    assert counter.calls == 3  # still cached
    signer.url(*a)
    assert counter.calls == 4  # evicted when c came in, so signed again


def test_the_cache_evicts_the_least_recently_used_not_the_oldest(key: rsa.RSAPrivateKey) -> None:
    credentials, counter = counting_credentials(key)
    signer = UrlSigner(credentials, endpoint=ENDPOINT, max_entries=2, clock=FakeClock())
    a, b, c = blob("a.jpg"), blob("b.jpg"), blob("c.jpg")

    signer.url(*a)
    signer.url(*b)
    signer.url(*a)  # a is now the most recently used
    signer.url(*c)  # so b goes
    assert counter.calls == 3

    signer.url(*a)
    assert counter.calls == 3
    signer.url(*b)
    assert counter.calls == 4


# --- signing through the IAM signBlob API (Cloud Run) ---


def test_iam_signed_url_verifies_and_is_cached(iam_key: rsa.RSAPrivateKey) -> None:
    iam = FakeGoogle(iam_key)
    credentials = signing_credentials(
        token_credentials(), service_account_email=IAM_EMAIL, request=iam
    )
    assert iam.requests == []  # nothing is signed until a URL is asked for
    signer = UrlSigner(credentials, lifetime=FIFTEEN_MINUTES, endpoint=ENDPOINT, clock=FakeClock())

    url = signer.url(*blob())

    assert_v4_get_url(url, IAM_EMAIL)
    assert iam.requests == [f"POST {SIGN_BLOB_URL}"]
    assert_signed_by(url, iam_key.public_key())

    assert signer.url(*blob()) == url
    assert iam.sign_blob_calls == 1  # the cache spares the IAM round trip


def test_iam_credentials_sign_as_the_given_account(iam_key: rsa.RSAPrivateKey) -> None:
    iam = FakeGoogle(iam_key)
    credentials = iam_credentials(token_credentials(), IAM_EMAIL, request=iam)

    url = UrlSigner(credentials, endpoint=ENDPOINT).url(*blob())

    assert_v4_get_url(url, IAM_EMAIL)
    assert_signed_by(url, iam_key.public_key())
    assert iam.sign_blob_calls == 1


def test_an_iam_refusal_surfaces_from_url_and_is_not_cached(iam_key: rsa.RSAPrivateKey) -> None:
    iam = FakeGoogle(iam_key, sign_blob_status=403)
    credentials = signing_credentials(
        token_credentials(), service_account_email=IAM_EMAIL, request=iam
    )
    signer = UrlSigner(credentials, endpoint=ENDPOINT, clock=FakeClock())

    with pytest.raises(google.auth.exceptions.TransportError, match="signBlob"):
        signer.url(*blob())
    assert iam.sign_blob_calls == 1  # a 403 is not retried

    iam.sign_blob_status = 200  # say the role was granted meanwhile
    url = signer.url(*blob())
    assert iam.sign_blob_calls == 2
    assert_signed_by(url, iam_key.public_key())


def test_cloud_run_credentials_learn_their_email_then_sign_through_iam(
    iam_key: rsa.RSAPrivateKey,
) -> None:
    """Cloud Run's credentials are Compute Engine credentials whose email reads "default" until
    they are refreshed from the metadata server; signing_credentials must do that refresh."""
    google_apis = FakeGoogle(iam_key, metadata_email=IAM_EMAIL)
    # universe_domain given, else the first signBlob call would ask the metadata server for it
    # through a transport of google-auth's own making (a real connection attempt).
    runtime = compute_engine.Credentials(universe_domain="googleapis.com")
    assert runtime.service_account_email == "default"

    credentials = signing_credentials(runtime, request=google_apis)

    assert credentials.signer_email == IAM_EMAIL
    url = UrlSigner(credentials, endpoint=ENDPOINT).url(*blob())
    assert_v4_get_url(url, IAM_EMAIL)
    assert_signed_by(url, iam_key.public_key())
    assert google_apis.requests[-1] == f"POST {SIGN_BLOB_URL}"
    assert google_apis.sign_blob_calls == 1


def test_credentials_with_a_key_sign_for_themselves(key: rsa.RSAPrivateKey) -> None:
    own = key_file_credentials(key)
    assert signing_credentials(own) is own


def test_an_explicit_signing_account_goes_through_iam_even_with_a_key(
    key: rsa.RSAPrivateKey, iam_key: rsa.RSAPrivateKey
) -> None:
    google_apis = FakeGoogle(iam_key)
    # Scoped as google.auth.default(scopes=...) in gcs.bucket scopes them.
    own = key_file_credentials(key).with_scopes([CLOUD_PLATFORM])
    credentials = signing_credentials(own, service_account_email=IAM_EMAIL, request=google_apis)

    url = UrlSigner(credentials, endpoint=ENDPOINT).url(*blob())

    assert_v4_get_url(url, IAM_EMAIL)
    assert_signed_by(url, iam_key.public_key())  # IAM's key, not the key file's
    assert google_apis.requests == [f"POST {TOKEN_URI}", f"POST {SIGN_BLOB_URL}"]


class UserCredentials(google.oauth2.credentials.Credentials):
    """End-user credentials (`gcloud auth application-default login`): a token and no
    service-account email. Their real refresh would call Google's token endpoint, so here it
    succeeds without doing anything; the email is still unknown afterwards, as in real life."""

    def refresh(self, request: google.auth.transport.Request) -> None:
        pass


def test_credentials_without_an_email_ask_for_gcs_signing_service_account(
    iam_key: rsa.RSAPrivateKey,
) -> None:
    # signing_credentials refreshes credentials whose email is unknown (as Compute Engine ones
    # learn it that way), so a token-only google.oauth2 Credentials would stop at RefreshError
    # (it has no refresh token) before the check under test: see the next test. Hence the
    # subclass above, whose refresh succeeds.
    google_apis = FakeGoogle(iam_key)
    with pytest.raises(ValueError, match="GCS_SIGNING_SERVICE_ACCOUNT"):
        signing_credentials(UserCredentials(token="x"), request=google_apis)
    assert google_apis.requests == []


def test_token_only_credentials_without_an_email_fail_to_refresh(
    iam_key: rsa.RSAPrivateKey,
) -> None:
    google_apis = FakeGoogle(iam_key)
    with pytest.raises(google.auth.exceptions.RefreshError):
        signing_credentials(google.oauth2.credentials.Credentials(token="x"), request=google_apis)
    assert google_apis.requests == []
