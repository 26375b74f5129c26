from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from api.deps import CurrentUser, SessionDep
from core.export import service as export
from core.export.service import ExportData

router = APIRouter(prefix="/api/export", tags=["export"])


@router.get(
    "/",
    response_model=ExportData,
    responses={200: {"content": {"application/zip": {}}, "description": "JSON, or CSVs in a ZIP"}},
)
async def export_all(
    session: SessionDep,
    user: CurrentUser,
    format: Annotated[
        Literal["json", "csv"], Query(description="json, or csv (a ZIP of CSV files)")
    ] = "json",
) -> Response:
    """All of your data: expenses, incomes, budgets, goals, notifications, payments, documents."""
    data = await export.collect(session, user)
    stamp = data.exported_at.strftime("%Y%m%d")
    if format == "csv":
        return Response(
            await export.as_zip(data),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="finbot-export-{stamp}.zip"'},
        )
    return JSONResponse(
        data.model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="finbot-export-{stamp}.json"'},
    )
