"""Document stores; which one runs is chosen by finbot/runtime.py from the settings."""

from storage.base import DocumentStore, StorageUnavailable
from storage.local import LocalStore
from storage.s3 import S3Store

__all__ = ["DocumentStore", "LocalStore", "S3Store", "StorageUnavailable"]
