"""Start-up checks of the storage settings (a mapping such as ``app.config``)."""

from collections.abc import Mapping
from typing import Any

BACKENDS = ("local", "s3")
DOWNLOAD_MODES = ("presigned", "stream")
# S3 refuses pre-signed URLs valid for longer than seven days.
MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60


def problems(config: Mapping[str, Any]) -> list[str]:
    """One line per storage setting that would stop files being stored or downloaded."""
    backend = config.get("STORAGE_BACKEND", "local")
    if backend not in BACKENDS:
        return [f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}."]
    if backend != "s3":
        return []
    found = []
    if not config.get("S3_BUCKET"):
        found.append("S3_BUCKET must name the bucket when STORAGE_BACKEND is s3.")
    if config.get("S3_DOWNLOADS") not in DOWNLOAD_MODES:
        found.append(f"S3_DOWNLOADS must be one of {', '.join(DOWNLOAD_MODES)}.")
    seconds = config.get("S3_PRESIGNED_SECONDS")
    if not isinstance(seconds, int) or not 1 <= seconds <= MAX_PRESIGNED_SECONDS:
        found.append(f"S3_PRESIGNED_SECONDS must be between 1 and {MAX_PRESIGNED_SECONDS}.")
    return found
