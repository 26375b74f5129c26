"""Receipts and other documents: bytes in a DocumentStore, a row in the database."""

import asyncio
import secrets
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging, owned
from core.documents.repository import DocumentRepository
from core.documents.schemas import DocumentOut
from core.documents.sniff import SNIFF_BYTES, content_type_of, safe_filename
from core.exceptions import NotFound, PayloadTooLarge, ServiceUnavailable
from core.expenses.repository import ExpenseRepository
from core.models import Document, User
from storage.base import DocumentStore, StorageUnavailable


def _peek(source: BinaryIO) -> tuple[bytes, int]:
    """The first bytes and the total size, leaving the file at its start."""
    head = source.read(SNIFF_BYTES)
    size = source.seek(0, 2)
    source.seek(0)
    return head, size


async def upload(
    session: AsyncSession,
    store: DocumentStore,
    user: User,
    source: BinaryIO,
    filename: str | None,
    max_bytes: int,
    expense_id: int | None = None,
) -> Document:
    if expense_id is not None and await ExpenseRepository(session).get(user.id, expense_id) is None:
        raise NotFound("expense")
    head, size = await asyncio.to_thread(_peek, source)
    if size > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes} bytes")
    document = Document(
        id=secrets.token_urlsafe(16),
        user_id=user.id,
        expense_id=expense_id,
        filename=safe_filename(filename),
        content_type=content_type_of(head),
        size=size,
    )
    document.storage_key = f"{user.id}/{document.id}"
    try:
        await store.put(document.storage_key, source, document.content_type)
    except StorageUnavailable as error:
        raise ServiceUnavailable("document storage unavailable") from error
    try:
        await DocumentRepository(session).add(document)
    except BaseException:
        # No row may point at nothing, and no object may stay without a row.
        await store.delete(document.storage_key)
        raise
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
