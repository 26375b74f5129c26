"""Statements in: POST a bank file, list, show and undo imports."""

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Response, UploadFile
from fastapi.responses import JSONResponse

from api.crud import NOT_FOUND, ObjectId
from api.deps import CurrentUser, PagingDep, SessionDep
from core.config import Settings
from core.imports import service as imports
from core.imports.schemas import ImportOut, import_out

# Room for the multipart envelope and the form fields around the file itself.
MULTIPART_OVERHEAD = 64 * 1024

Format = Annotated[str | None, Form(max_length=16, description="csv|ofx|qif|camt053|mt940")]
Short = Annotated[str | None, Form(max_length=64)]


def imports_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/api/imports", tags=["imports"])

    @router.post(
        "/",
        status_code=201,
        response_model=ImportOut,
        responses={
            200: {"model": ImportOut, "description": "A dry run: the counts, nothing stored"},
            413: {"description": "File too large"},
            503: {"description": "Every statement reader is busy; retry after Retry-After"},
        },
        max_body_size=settings.max_upload_bytes + MULTIPART_OVERHEAD,
    )
    async def import_file(
        session: SessionDep,
        user: CurrentUser,
        file: Annotated[UploadFile, File(description="The bank statement")],
        format: Format = None,
        currency: Annotated[str | None, Form(max_length=3)] = None,
        mapping: Annotated[str | None, Form(max_length=4000)] = None,
        date_format: Short = None,
        decimal: Annotated[str | None, Form(max_length=1)] = None,
        dry_run: Annotated[bool, Form()] = False,
    ) -> Response:
        options = imports.ImportOptions(
            format=format or None,
            currency=currency or None,
            mapping=mapping or None,
            date_format=date_format or None,
            decimal=decimal or None,
            dry_run=dry_run,
        )
        # The service ends the session's transaction (authentication's) before the file is
        # read in a worker process, and writes the import in a new one, committed by the
        # session's dependency before the answer goes out.
        try:
            imported = await imports.import_statement(
                session, user, file.file, file.filename, settings.max_upload_bytes, options
            )
        except imports.ReadersBusy as error:
            headers = {"Retry-After": str(error.retry_after)}
            raise HTTPException(503, error.message, headers=headers) from None
        body = import_out(imported).model_dump(mode="json")
        return JSONResponse(body, status_code=200 if dry_run else 201)

    @router.get("/", response_model=list[ImportOut])
    async def list_imports(
        session: SessionDep, user: CurrentUser, page: PagingDep, response: Response
    ) -> list[ImportOut]:
        result = await imports.list_page(session, user, page)
        response.headers["X-Total-Count"] = str(result.total)
        return [import_out(item) for item in result.items]

    @router.get("/{import_id}/", response_model=ImportOut, responses=NOT_FOUND)
    async def show_import(session: SessionDep, user: CurrentUser, import_id: ObjectId) -> ImportOut:
        return import_out(await imports.get(session, user, import_id))

    @router.delete("/{import_id}/", status_code=204, responses=NOT_FOUND)
    async def undo_import(session: SessionDep, user: CurrentUser, import_id: ObjectId) -> Response:
        await imports.undo(session, user, import_id)
        return Response(status_code=204)

    return router
