from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import WithJsonSchema

from api.deps import CurrentUser, PagingDep, SessionDep, StoreDep
from api.errors import error_answer
from core.config import Settings
from core.documents import readings
from core.documents import service as documents
from core.documents.schemas import DocumentOut, ReadingOut
from core.exceptions import Forbidden, NotFound
from storage import LocalStore
from storage.local import signature_valid

NOT_FOUND: dict[int | str, dict[str, str]] = {404: {"description": "No such document of yours"}}
# Room for the multipart envelope around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
# Ids are secrets.token_urlsafe(16): 22 of these characters (the column holds 32).
DocumentId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
# A form field is text: no way to send null, so the schema says integer (left out: none).
EXPENSE_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def first_language(accept_language: str | None) -> str | None:
    """The preferred tag of an Accept-Language header ("de-DE,de;q=0.9" -> "de-DE"): it
    tells a receipt's 03/04 apart (3 April or March 4)."""
    if not accept_language:
        return None
    tag = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    return tag if tag and tag != "*" else None


def documents_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/api/documents", tags=["documents"])

    @router.post(
        "/upload/",
        status_code=201,
        response_model=DocumentOut,
        responses={413: {"description": "File too large"}, 503: {"description": "Storage down"}},
        max_body_size=settings.max_upload_bytes + MULTIPART_OVERHEAD,
    )
    async def upload(
        store: StoreDep,
        session: SessionDep,
        user: CurrentUser,
        file: Annotated[UploadFile, File(description="The document")],
        expense_id: Annotated[
            int | None, Form(ge=1, le=2**31 - 1), WithJsonSchema(EXPENSE_ID_SCHEMA)
        ] = None,
    ) -> DocumentOut:
        document = await documents.upload(
            session, store, user, file.file, file.filename, settings.max_upload_bytes, expense_id
        )
        return await documents.present(store, document)

    @router.get("/", response_model=list[DocumentOut])
    async def list_documents(
        store: StoreDep,
        session: SessionDep,
        user: CurrentUser,
        page: PagingDep,
        response: Response,
    ) -> list[DocumentOut]:
        result = await documents.list_page(session, user, page)
        response.headers["X-Total-Count"] = str(result.total)
        return [await documents.present(store, d) for d in result.items]

    @router.get("/{document_id}/", response_model=DocumentOut, responses=NOT_FOUND)
    async def get_document(
        store: StoreDep, session: SessionDep, user: CurrentUser, document_id: DocumentId
    ) -> DocumentOut:
        return await documents.present(store, await documents.get(session, user, document_id))

    @router.delete("/{document_id}/", status_code=204, responses=NOT_FOUND)
    async def delete_document(
        store: StoreDep, session: SessionDep, user: CurrentUser, document_id: DocumentId
    ) -> Response:
        await documents.delete(session, store, user, document_id)
        return Response(status_code=204)

    @router.get(
        "/{document_id}/reading/",
        response_model=ReadingOut,
        responses={
            404: {"description": "No such document of yours, or not a receipt that could be read"},
            503: {"description": "The OCR engine (Tesseract) is not installed"},
        },
    )
    async def reading(
        store: StoreDep,
        session: SessionDep,
        user: CurrentUser,
        document_id: DocumentId,
        accept_language: Annotated[str | None, Header(max_length=256)] = None,
    ) -> ReadingOut | JSONResponse:
        """The receipt read from the document: read on first ask, stored, then served."""
        found = await readings.reading_of(
            session, store, user, document_id, locale_hint=first_language(accept_language)
        )
        # Answered, not raised: "not a receipt" was just stored and must be committed.
        return found if found is not None else error_answer(404, "receipt not found")

    @router.get(
        "/{document_id}/content/",
        response_class=FileResponse,
        responses={200: {"description": "The file's bytes"}, 403: {"description": "Bad link"}},
    )
    async def content(
        store: StoreDep,
        session: SessionDep,
        document_id: DocumentId,
        expires: Annotated[int, Query(ge=0, le=2**40)],
        signature: Annotated[str, Query(max_length=128)],
    ) -> FileResponse:
        """The bytes behind a signed local link: no bearer token, so `<img src>` works."""
        if not isinstance(store, LocalStore):
            raise NotFound("document")
        # A signature is hex: anything else (non-ASCII included) is a bad link, not a crash.
        if not signature.isascii() or not signature_valid(
            store.signing_key, document_id, expires, signature
        ):
            raise Forbidden("link is invalid or expired")
        document = await documents.find_signed(session, document_id)
        if document is None:
            raise NotFound("document")
        return FileResponse(
            store.path(document.storage_key),
            media_type=document.content_type,
            filename=document.filename,
            content_disposition_type=documents.disposition(document.content_type),
            # The browser must not guess a type (a text file sniffed as HTML runs scripts).
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return router
