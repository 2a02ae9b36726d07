"""A teacher's batch API, through litellm's files and batches calls: upload an input file,
create a batch, find both again by the names and metadata tags we gave them, poll, cancel, and
download output and error files."""

import os
from dataclasses import dataclass
from typing import Any

import litellm

from synth_assets.spec.model import TeacherSpec
from synth_assets.teacher.batch_files import ENDPOINT

COMPLETION_WINDOW = "24h"
KEY_TAG = "synth_batch_key"          # metadata tag: our batch_key
PARTITION_TAG = "synth_partition"    # metadata tag: the partition the batch belongs to
ENDED_STATES = frozenset({"completed", "failed", "expired", "cancelled"})
LIST_PAGE = 100


@dataclass(frozen=True)
class BatchStatus:
    """What a poll saw of a provider batch."""

    batch_id: str
    status: str
    completed: int
    failed: int
    total: int
    output_file_id: str | None
    error_file_id: str | None
    ended_at: int | None         # unix seconds the batch ended, as the provider says

    @property
    def ended(self) -> bool:
        return self.status in ENDED_STATES


def file_name(batch_key: str) -> str:
    return f"{batch_key}.jsonl"


class BatchProvider:
    """One teacher's provider, as litellm reaches it (model string, api_base, key)."""

    def __init__(self, teacher: TeacherSpec) -> None:
        self.model, self.provider, _, _ = litellm.get_llm_provider(teacher.model)
        self.teacher = teacher
        self._auth: dict[str, Any] = {"custom_llm_provider": self.provider}
        if teacher.api_base:
            self._auth["api_base"] = teacher.api_base
        if teacher.api_key_env:
            self._auth["api_key"] = os.environ.get(teacher.api_key_env)

    async def upload(self, batch_key: str, content: bytes) -> str:
        uploaded = await litellm.acreate_file(file=(file_name(batch_key), content,
                                                    "application/jsonl"),
                                              purpose="batch", **self._auth)
        return uploaded.id

    async def find_file(self, batch_key: str) -> str | None:
        """The id of an input file uploaded earlier for this batch (a run killed before it
        recorded the id), if the provider still has it. litellm hands back the OpenAI SDK's
        cursor page, whose iteration asks for the next page (`after` the last id) while the
        provider says `has_more`: an account's files run to many pages."""
        files = await litellm.afile_list(purpose="batch", **self._auth)
        async for listed in files:
            if listed.filename == file_name(batch_key):
                return listed.id
        return None

    async def create(self, batch_key: str, partition_key: str, file_id: str) -> BatchStatus:
        created = await litellm.acreate_batch(
            completion_window=COMPLETION_WINDOW, endpoint=ENDPOINT, input_file_id=file_id,
            metadata={KEY_TAG: batch_key, PARTITION_TAG: partition_key}, **self._auth)
        return _status(created)

    async def find_batch(self, batch_key: str) -> BatchStatus | None:
        """A batch created earlier for this batch_key (by its metadata tag), if any."""
        after = None
        while True:
            page = await litellm.alist_batches(after=after, limit=LIST_PAGE, **self._auth)
            listed = list(getattr(page, "data", page) or [])
            for batch in listed:
                if (_field(batch, "metadata") or {}).get(KEY_TAG) == batch_key:
                    return _status(batch)
            if not listed or not getattr(page, "has_more", False):
                return None
            after = _field(listed[-1], "id")

    async def retrieve(self, batch_id: str) -> BatchStatus:
        return _status(await litellm.aretrieve_batch(batch_id=batch_id, **self._auth))

    async def cancel(self, batch_id: str) -> BatchStatus:
        return _status(await litellm.acancel_batch(batch_id=batch_id, **self._auth))

    async def content(self, file_id: str) -> bytes:
        return (await litellm.afile_content(file_id=file_id, **self._auth)).content


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _status(batch: Any) -> BatchStatus:
    counts = _field(batch, "request_counts")
    ended_at = next((_field(batch, name) for name in
                     ("completed_at", "failed_at", "expired_at", "cancelled_at")
                     if _field(batch, name)), None)
    return BatchStatus(
        batch_id=_field(batch, "id"),
        status=str(_field(batch, "status")),
        completed=int(_field(counts, "completed") or 0) if counts else 0,
        failed=int(_field(counts, "failed") or 0) if counts else 0,
        total=int(_field(counts, "total") or 0) if counts else 0,
        output_file_id=_field(batch, "output_file_id"),
        error_file_id=_field(batch, "error_file_id"),
        ended_at=int(ended_at) if ended_at else None,
    )
