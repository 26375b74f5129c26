from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer


def _utc_seconds(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


UTCTimestamp = Annotated[datetime, PlainSerializer(_utc_seconds, return_type=str)]


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    kind: str
    message: str
    timestamp: UTCTimestamp
    read: bool

    @classmethod
    def of(cls, row: object) -> "NotificationOut":
        return cls(
            id=row.id,  # type: ignore[attr-defined]
            user_id=row.user_id,  # type: ignore[attr-defined]
            kind=row.kind,  # type: ignore[attr-defined]
            message=row.message,  # type: ignore[attr-defined]
            timestamp=row.created_at,  # type: ignore[attr-defined]
            read=row.read_at is not None,  # type: ignore[attr-defined]
        )
