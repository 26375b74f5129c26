"""Receipts and other documents: bytes in a DocumentStore, a row in the database."""

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging, owned
from core.documents.repository import DocumentRepository
from core.documents.schemas import DocumentOut
from core.documents.sniff import SNIFF_BYTES, content_type_of, safe_filename
from core.exceptions import NotFound, PayloadTooLarge, ServiceUnavailable
from core.expenses.repository import ExpenseRepository
from core.models import Document, User
from storage.base import DocumentStore, StorageUnavailable

log = logging.getLogger("finbot.documents")


async def release_connection(session: AsyncSession) -> None:
    """End the session's transaction (committing what it did so far), so its connection
    goes back to the pool until the session's next statement opens a new one.

    For long work without the database (OCR, a download, storing bytes) in the middle of
    a unit of work: no pooled connection is held meanwhile and, on SQLite, no writer lock.
    The objects loaded stay usable (the sessions do not expire them on commit).
    """
    if session.in_transaction():
        await session.commit()


def _peek(source: BinaryIO) -> tuple[bytes, int]:
    """The first bytes and the total size, leaving the file at its start."""
    head = source.read(SNIFF_BYTES)
    size = source.seek(0, 2)
    source.seek(0)
    return head, size


async def _forget(store: DocumentStore, document: Document) -> None:
    """Delete a stored object whose row was not written; a failure is logged, not raised
    (the caller is already failing with the error that matters)."""
    try:
        await store.delete(document.storage_key)
    except Exception:
        log.warning("stored object %s left without a row", document.storage_key, exc_info=True)


async def store_new(
    session: AsyncSession,
    store: DocumentStore,
    user: User,
    source: BinaryIO,
    filename: str | None,
    max_bytes: int,
) -> Document:
    """A new document of `source`'s bytes, put in the store; its row is not added yet.

    Storing is a network call (S3) or disk work: it runs with no pooled connection held
    and, on SQLite, not under the writer lock, so the session's transaction so far is
    committed first (see release_connection). The caller then adds the row, with whatever
    else belongs with it, inside undone_on_error(), and commits it there.
    PayloadTooLarge when the file is too big, ServiceUnavailable when the store is down.
    """
    head, size = await asyncio.to_thread(_peek, source)
    if size > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes} bytes")
    document = Document(
        id=secrets.token_urlsafe(16),
        user_id=user.id,
        filename=safe_filename(filename),
        content_type=content_type_of(head),
        size=size,
    )
    document.storage_key = f"{user.id}/{document.id}"
    await release_connection(session)
    try:
        await store.put(document.storage_key, source, document.content_type)
    except StorageUnavailable as error:
        raise ServiceUnavailable("document storage unavailable") from error
    return document


@asynccontextmanager
async def undone_on_error(
    session: AsyncSession, store: DocumentStore, document: Document
) -> AsyncIterator[Document]:
    """For the block that writes and commits the row of a document from store_new(): if
    it fails, the session's transaction is rolled back and then the stored object is
    deleted (not under the writer lock), so no object stays without a row."""
    try:
        yield document
    except BaseException:
        try:
            await session.rollback()
        except Exception:  # the caller's own rollback will try again; the object goes anyway
            log.warning("rollback before deleting %s failed", document.storage_key, exc_info=True)
        await _forget(store, document)
        raise


async def add(session: AsyncSession, document: Document) -> Document:
    """The row of a document from store_new(), in the session's transaction."""
    return await DocumentRepository(session).add(document)


async def upload(
    session: AsyncSession,
    store: DocumentStore,
    user: User,
    source: BinaryIO,
    filename: str | None,
    max_bytes: int,
    expense_id: int | None = None,
) -> Document:
    """Store the bytes, then add and commit the document's row in a transaction of its
    own: both are written, or neither is."""
    if expense_id is not None and await ExpenseRepository(session).get(user.id, expense_id) is None:
        raise NotFound("expense")
    document = await store_new(session, store, user, source, filename, max_bytes)
    async with undone_on_error(session, store, document):
        document.expense_id = expense_id
        try:
            await add(session, document)
        except IntegrityError as error:
            if expense_id is None:
                raise
            # The expense was deleted while the bytes were being stored.
            raise NotFound("expense") from error
        await session.commit()
    return document


async def get(session: AsyncSession, user: User, document_id: str) -> Document:
    return await owned(DocumentRepository(session), user, document_id, "document")


async def list_page(session: AsyncSession, user: User, paging: Paging) -> Page[Document]:
    return await DocumentRepository(session).list_page(user.id, paging)


async def delete(session: AsyncSession, store: DocumentStore, user: User, document_id: str) -> None:
    document = await get(session, user, document_id)
    await DocumentRepository(session).remove(document)
    try:
        await store.delete(document.storage_key)
    except StorageUnavailable as error:  # the row stays: the transaction rolls back
        raise ServiceUnavailable("document storage unavailable") from error


async def present(store: DocumentStore, document: Document) -> DocumentOut:
    try:
        url = await store.url(
            document.storage_key,
            document_id=document.id,
            filename=document.filename,
            content_type=document.content_type,
        )
    except StorageUnavailable as error:
        raise ServiceUnavailable("document storage unavailable") from error
    return DocumentOut(
        document_id=document.id,
        url=url,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        expense_id=document.expense_id,
        created_at=document.created_at,
    )


async def attach(session: AsyncSession, user: User, document_id: str, expense_id: int) -> None:
    """Attach one of the user's documents to one of their expenses."""
    if await ExpenseRepository(session).get(user.id, expense_id) is None:
        raise NotFound("expense")
    document = await get(session, user, document_id)
    document.expense_id = expense_id
    await DocumentRepository(session).flush()


async def find_signed(session: AsyncSession, document_id: str) -> Document | None:
    return await DocumentRepository(session).get_any(document_id)


# Shown in the browser: types that cannot carry script. Anything else is downloaded.
INLINE_TYPES = frozenset({"application/pdf"})


def disposition(content_type: str) -> str:
    """inline for images and PDFs, attachment for the rest."""
    if content_type in INLINE_TYPES or (
        content_type.startswith("image/") and content_type != "image/svg+xml"
    ):
        return "inline"
    return "attachment"
