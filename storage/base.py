"""Where document bytes live: the local disk or any S3-compatible bucket."""

from typing import BinaryIO, Protocol


class StorageUnavailable(Exception):
    """The store did not answer; callers turn this into a 503."""


class DocumentStore(Protocol):
    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        """Store the bytes read from `source` (streamed, never all in memory)."""

    async def get(self, key: str) -> bytes:
        """The whole object (documents are bounded by FINBOT_MAX_UPLOAD_BYTES)."""

    async def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""

    async def url(self, key: str, *, document_id: str, filename: str, content_type: str) -> str:
        """A link that serves the bytes for a limited time, without a bearer token."""
