"""update-rates within bounds (review L4): the body is streamed and cut off, a ZIP
member is sized before it is unpacked, an https feed is never redirected to http, and
a rate outside what any currency has been worth is refused with its whole file."""

import datetime
import gzip
import io
import ipaddress
import ssl
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.currencies import ecb
from core.currencies import service as currencies
from core.db import Database
from core.exceptions import BadGateway
from tests.conftest import clean_database
from tests.core.rates_support import seed_known_rates
from tests.core.test_rates_update import DAILY_XML, MONDAY, count, stored, update, with_feed

CSV_HEAD = "Date,USD,JPY\n"


def csv_rows(rows: int) -> bytes:
    start = datetime.date(2026, 11, 2)
    lines = [
        f"{start + datetime.timedelta(days=n)},1.{n % 10_000:04d},170.5\n" for n in range(rows)
    ]
    return (CSV_HEAD + "".join(lines)).encode()


def zipped(data: bytes, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("eurofxref-hist.csv", data)
    return buffer.getvalue()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await clean_database(database)
    await seed_known_rates(database)  # some rates: the shipped history is not loaded
    yield database
    await database.dispose()


class Server:
    """A local HTTP (or HTTPS) server whose paths are set per test."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.served: list[str] = []
        self.sent_bytes = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.served.append(request.path)
        handler = self.handlers.get(request.path)
        if handler is None:
            return web.Response(status=404)
        return await handler(request)


async def start(server: Server, ssl_context: ssl.SSLContext | None = None) -> web.AppRunner:
    app = web.Application()
    app.router.add_get("/{name}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
    return runner


@pytest.fixture
async def plain() -> AsyncIterator[Server]:
    server = Server()
    runner = await start(server)
    try:
        yield server
    finally:
        await runner.cleanup()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the certificate is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def secure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Server]:
    cert_path, key_path = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # httpx trusts it (trust_env)
    server = Server()
    runner = await start(server, context)
    try:
        yield server
    finally:
        await runner.cleanup()


def body(content: bytes) -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        return web.Response(body=content)

    return handler


def redirect(location: Callable[[], str]) -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location())

    return handler


# The body: streamed and cut off


async def test_a_body_past_the_cap_is_refused_and_nothing_stored(
    database, settings, plain, monkeypatch
):
    monkeypatch.setattr(currencies, "MAX_FEED_BYTES", 4096)
    feed = csv_rows(400)  # a valid feed of ~10 KB: the old code stored it
    assert len(feed) > 4096
    plain.handlers["/big.csv"] = body(feed)
    before = await count(database)
    with pytest.raises(BadGateway, match="larger than 4096 bytes"):
        await update(database, with_feed(settings, f"{plain.url}/big.csv"))
    assert await count(database) == before


async def test_an_endless_body_is_cut_off_not_read_to_its_end(
    database, settings, plain, monkeypatch
):
    """Streamed without a length: reading stops at the cap, the server sees the client go."""
    monkeypatch.setattr(currencies, "MAX_FEED_BYTES", 64 * 1024)
    chunk = csv_rows(2000)
    limit = 256 * 1024 * 1024  # what the server would send, at most, if nobody stopped it

    async def endless(request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse()
        answer.enable_chunked_encoding()
        await answer.prepare(request)
        try:
            while plain.sent_bytes < limit:
                await answer.write(chunk)
                plain.sent_bytes += len(chunk)
        except (ConnectionResetError, ConnectionError):
            pass
        return answer

    plain.handlers["/endless.csv"] = endless
    with pytest.raises(BadGateway, match="larger than"):
        await update(database, with_feed(settings, f"{plain.url}/endless.csv"))
    assert plain.sent_bytes < 32 * 1024 * 1024  # a few socket buffers past the cap


async def test_a_feed_under_the_cap_is_stored(database, settings, plain):
    plain.handlers["/daily.xml"] = body(DAILY_XML)
    assert await update(database, with_feed(settings, f"{plain.url}/daily.xml")) == 1
    assert (await stored(database))[("USD", MONDAY)] == Decimal("1.1201")


async def test_a_compressed_body_not_asked_for_is_refused(database, settings, plain):
    async def gzipped(request: web.Request) -> web.StreamResponse:
        assert request.headers.get("Accept-Encoding") == "identity"
        return web.Response(body=gzip.compress(DAILY_XML), headers={"Content-Encoding": "gzip"})

    plain.handlers["/daily.xml"] = gzipped
    with pytest.raises(BadGateway, match="gzip-encoded"):
        await update(database, with_feed(settings, f"{plain.url}/daily.xml"))


# Redirects: never from https to http


async def test_https_redirected_to_http_is_refused_before_asking_http(
    database, settings, secure, plain
):
    plain.handlers["/eurofxref-daily.xml"] = body(DAILY_XML)
    secure.handlers["/feed.xml"] = redirect(lambda: f"{plain.url}/eurofxref-daily.xml")
    before = await count(database)
    with pytest.raises(BadGateway, match="from https to http"):
        await update(database, with_feed(settings, f"{secure.url}/feed.xml"))
    assert secure.served == ["/feed.xml"]
    assert plain.served == []  # the downgraded request was never sent
    assert await count(database) == before


async def test_https_feeds_and_https_redirects_work(database, settings, secure):
    secure.handlers["/eurofxref-daily.xml"] = body(DAILY_XML)
    secure.handlers["/moved.xml"] = redirect(lambda: f"{secure.url}/eurofxref-daily.xml")
    assert await update(database, with_feed(settings, f"{secure.url}/moved.xml")) == 1
    assert secure.served == ["/moved.xml", "/eurofxref-daily.xml"]


async def test_an_http_feed_may_be_redirected_to_https(database, settings, secure, plain):
    secure.handlers["/eurofxref-daily.xml"] = body(DAILY_XML)
    plain.handlers["/feed.xml"] = redirect(lambda: f"{secure.url}/eurofxref-daily.xml")
    assert await update(database, with_feed(settings, f"{plain.url}/feed.xml")) == 1


async def test_a_redirect_loop_is_a_bad_gateway(database, settings, plain):
    plain.handlers["/loop.xml"] = redirect(lambda: f"{plain.url}/loop.xml")
    with pytest.raises(BadGateway, match="redirected more than 5 times"):
        await update(database, with_feed(settings, f"{plain.url}/loop.xml"))
    assert len(plain.served) == currencies.MAX_REDIRECTS + 1


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd", "feed.xml"])
async def test_a_feed_that_is_not_http_is_refused(database, settings, url):
    with pytest.raises(BadGateway, match="http or https"):
        await update(database, with_feed(settings, url))


# ZIP members: sized before they are unpacked


def test_a_zip_bomb_is_refused_by_its_ratio_before_unpacking(monkeypatch):
    bomb = zipped(CSV_HEAD.encode() + b"2026-11-02,1.1,170\n" + b"\n" * (8 * 1024 * 1024))
    unpacked: list[str] = []
    real_open = zipfile.ZipFile.open

    def watched_open(self, name, *args, **kwargs):
        unpacked.append(str(name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", watched_open)
    with pytest.raises(ecb.EcbFormatError, match="zip bomb"):
        ecb.parse(bomb)
    assert unpacked == []


def test_a_zip_member_past_the_size_cap_is_refused_by_its_header(monkeypatch):
    monkeypatch.setattr(ecb, "MAX_CSV_BYTES", 4096)
    stored_plain = zipped(csv_rows(400), zipfile.ZIP_STORED)  # ratio 1: only the size says no
    with pytest.raises(ecb.EcbFormatError, match="at most 4096 are read"):
        ecb.parse(stored_plain)


def test_the_shipped_history_is_within_every_bound():
    rates = ecb.shipped_history()
    assert len(rates) > 200_000
    assert all(ecb.MIN_RATE <= r.rate < ecb.MAX_RATE for r in rates)


# Rates: within what a currency has been worth


@pytest.mark.parametrize(
    "value", ["1E+999999", "10000000", "99999999999", "0.0000009", "1E-999999"]
)
def test_an_implausible_rate_is_refused(value):
    with pytest.raises(ecb.EcbFormatError, match="out of range"):
        ecb.parse_csv(f"Date,USD,XXX\n2026-11-02,1.1,{value}\n")
    xml = (
        '<Envelope><Cube><Cube time="2026-11-02"><Cube currency="XXX" rate="'
        + value
        + '"/></Cube></Cube></Envelope>'
    ).encode()
    with pytest.raises(ecb.EcbFormatError, match="out of range"):
        ecb.parse(xml)


@pytest.mark.parametrize("value", ["1912400", "0.000001", "9999999.999999", "0.3883"])
def test_extreme_but_real_rates_are_kept(value):
    [rate] = ecb.parse_csv(f"Date,XXX\n2026-11-02,{value}\n")
    assert rate.rate == Decimal(value)


async def test_one_absurd_rate_refuses_the_whole_feed(database, settings, plain):
    feed = b"Date,USD,JPY\n2026-11-03,1.1188,1E+999999\n2026-11-02,1.1201,176.12\n"
    plain.handlers["/hist.csv"] = body(feed)
    before = await count(database)
    with pytest.raises(BadGateway, match="out of range"):
        await update(database, with_feed(settings, f"{plain.url}/hist.csv"))
    assert await count(database) == before


def test_a_file_with_too_many_rates_is_refused(monkeypatch):
    monkeypatch.setattr(ecb, "MAX_RATES", 5)
    ecb.parse(csv_rows(2))  # 4 rates
    with pytest.raises(ecb.EcbFormatError, match="more than 5 rates"):
        ecb.parse(csv_rows(3))  # 6 rates
