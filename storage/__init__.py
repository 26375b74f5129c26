"""Document stores, chosen by configuration."""

from core.config import Settings
from storage.base import DocumentStore, StorageUnavailable
from storage.local import LocalStore
from storage.s3 import S3Store

__all__ = ["DocumentStore", "LocalStore", "S3Store", "StorageUnavailable", "make_store"]


def make_store(settings: Settings) -> DocumentStore:
    if settings.s3_bucket:
        return S3Store(settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region)
    return LocalStore(settings.storage_dir / "documents", settings.public_url, settings.signing_key)
