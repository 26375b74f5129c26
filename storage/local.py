"""Documents on the local disk, served by the API through signed, expiring links."""

import asyncio
import hashlib
import hmac
import shutil
import time
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode

from storage.base import StorageUnavailable

LINK_SECONDS = 15 * 60


def sign(key: bytes, document_id: str, expires: int) -> str:
    message = f"{document_id}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_valid(key: bytes, document_id: str, expires: int, signature: str) -> bool:
    if expires < time.time():
        return False
    return hmac.compare_digest(sign(key, document_id, expires), signature)


class LocalStore:
    def __init__(self, root: Path, public_url: str, signing_key: bytes) -> None:
        self.root = root.resolve()
        self.public_url = public_url.rstrip("/")
        self.signing_key = signing_key

    def path(self, key: str) -> Path:
        # Keys are made by finbot ("<user id>/<random id>"), never from a filename;
        # the check is a second lock on the door.
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("storage key escapes the storage directory")
        return path

    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), source)

    @staticmethod
    def _write(path: Path, source: BinaryIO) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("wb") as target:
            shutil.copyfileobj(source, target, length=1024 * 1024)
        partial.replace(path)  # never a half-written document under the real name

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except OSError as error:
            raise StorageUnavailable(str(error)) from error

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def url(self, key: str, *, document_id: str, filename: str, content_type: str) -> str:
        expires = int(time.time()) + LINK_SECONDS
        query = urlencode(
            {"expires": expires, "signature": sign(self.signing_key, document_id, expires)}
        )
        return f"{self.public_url}/api/documents/{document_id}/content/?{query}"
