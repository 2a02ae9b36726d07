"""Where the assets' small outputs (snapshot ids) go between steps: Dagster's filesystem IO
manager, writing each file atomically. On PostgreSQL two runs of the same partition may
materialize at once; with the stock manager one run could read the other's half-written pickle
(EOFError). A file written beside its target and renamed over it is read whole or not at all."""

import os
import pickle
import uuid
from typing import Any

import dagster as dg
from dagster._core.storage.fs_io_manager import PickledObjectFilesystemIOManager
from upath import UPath


class AtomicPickleIOManager(PickledObjectFilesystemIOManager):
    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}.partial")
        with partial.open("wb") as file:
            pickle.dump(obj, file, pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)


class AtomicFilesystemIOManager(dg.FilesystemIOManager):
    def create_io_manager(self, context: dg.InitResourceContext) -> AtomicPickleIOManager:
        base_dir = self.base_dir or context.instance.storage_directory()
        return AtomicPickleIOManager(base_dir=base_dir)
