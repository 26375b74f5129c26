from pydantic import BaseModel

from core.notifications.schemas import UTCTimestamp


class DocumentOut(BaseModel):
    document_id: str
    url: str
    filename: str
    content_type: str
    size: int
    expense_id: int | None
    created_at: UTCTimestamp


class DocumentFile(BaseModel):
    """What the signed local link serves."""

    path: str
    filename: str
    content_type: str
