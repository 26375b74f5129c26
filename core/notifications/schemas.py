from datetime import UTC, datetime
from typing import Annotated, Any

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
    def of(cls, row: Any) -> "NotificationOut":
        """From a Notification or a row with its columns."""
        return cls(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind,
            message=row.message,
            timestamp=row.created_at,
            read=row.read_at is not None,
        )
