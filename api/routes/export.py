from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.deps import CurrentUser, DatabaseDep
from core.auth.schemas import Me
from core.export import service as export
from core.export.service import ExportData
from core.models.base import utcnow

router = APIRouter(prefix="/api/export", tags=["export"])


@router.get(
    "/",
    response_model=ExportData,
    responses={200: {"content": {"application/zip": {}}, "description": "JSON, or CSVs in a ZIP"}},
)
async def export_all(
    database: DatabaseDep,
    user: CurrentUser,
    format: Annotated[
        Literal["json", "csv"], Query(description="json, or csv (a ZIP of CSV files)")
    ] = "json",
) -> StreamingResponse:
    """All of your data: expenses, incomes, budgets, goals, notifications, payments, documents.

    Streamed as it is read. In the CSV files, text that a spreadsheet would run as a
    formula (starting with = + - @) carries a leading apostrophe; the JSON keeps the
    exact text.
    """
    exported_at = utcnow()
    me = Me.model_validate(user)
    stamp = exported_at.strftime("%Y%m%d")
    if format == "csv":
        return StreamingResponse(
            export.zip_stream(database, me, exported_at),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="finbot-export-{stamp}.zip"'},
        )
    return StreamingResponse(
        export.json_stream(database, me, exported_at),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="finbot-export-{stamp}.json"'},
    )
