"""S3-compatible object storage under the file store, for several machines sharing results and
references: ``[storage] url = "s3://bucket/prefix"``; credentials and the endpoint come from
the environment as boto3 reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_ENDPOINT_URL for MinIO, R2, a local server...).

The local directory stays the working copy (downloads stream there, Pillow checks files
there); every file the store keeps is published to the bucket under its relative path, and a
file missing locally (written on another machine) is fetched from the bucket when located.
boto3 is synchronous: callers run these on a worker thread, like every file operation.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError


class ObjectStore:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError(f"[storage] url {url!r} is not s3://bucket/prefix.")
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self._client = None
        self._lock = threading.Lock()

    @property
    def client(self):
        with self._lock:
            if self._client is None:
                try:
                    import boto3
                except ImportError:
                    raise ConfigError("[storage] url is s3://... but boto3 is not installed.",
                                      hint="pip install 'higgsctl[s3]'") from None
                self._client = boto3.client("s3")
            return self._client

    def key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def put(self, relative: str, path: Path) -> None:
        """Upload; any failure is an OSError, so callers treat it like a failing disk (retried)."""
        try:
            self.client.upload_file(str(path), self.bucket, self.key(relative))
        except ConfigError:
            raise
        except Exception as exc:
            raise OSError(f"cannot store {relative} in s3://{self.bucket}: {exc}") from None

    def fetch(self, relative: str, dest: Path) -> bool:
        """Download into ``dest`` (atomically); False when the bucket has no such object."""
        from botocore.exceptions import ClientError

        part = dest.with_name(dest.name + f".{os.getpid()}.s3part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, self.key(relative), str(part))
        except ClientError as exc:
            part.unlink(missing_ok=True)
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise OSError(f"cannot fetch {relative} from s3://{self.bucket}: {exc}") from None
        except Exception as exc:
            part.unlink(missing_ok=True)
            raise OSError(f"cannot fetch {relative} from s3://{self.bucket}: {exc}") from None
        os.replace(part, dest)
        return True

    def delete(self, relative: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(relative))
        except Exception as exc:
            raise OSError(f"cannot delete {relative} from s3://{self.bucket}: {exc}") from None
