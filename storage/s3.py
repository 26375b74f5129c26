"""Documents in an S3-compatible bucket (AWS, MinIO, moto) through boto3, in threads."""

import asyncio
from typing import Any, BinaryIO
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.base import StorageUnavailable

LINK_SECONDS = 15 * 60
PART = 5 * 1024 * 1024  # S3's smallest multipart part
# One part in memory at a time, whatever the file's size: memory stays flat.
STREAMING = TransferConfig(
    multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=1, use_threads=False
)


class S3Store:
    def __init__(self, bucket: str, endpoint_url: str | None, region: str | None) -> None:
        self.bucket = bucket
        # Credentials come from boto3's own chain (environment, profile, instance role).
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                connect_timeout=3, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"}
            ),
        )

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable(str(error)) from error

    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        await self._call(
            self.client.upload_fileobj,
            source,
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=STREAMING,
        )

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return body

        return await self._call(read)

    async def delete(self, key: str) -> None:
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def url(self, key: str, *, document_id: str, filename: str, content_type: str) -> str:
        disposition = f"inline; filename*=UTF-8''{quote(filename)}"
        url: str = await self._call(
            self.client.generate_presigned_url,
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=LINK_SECONDS,
        )
        return url
