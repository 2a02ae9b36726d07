"""What every stage asset shares: its group in the catalog, and the metadata Dagster's UI
understands without opening the store: the row count and column schema of the records the
stage's snapshot holds, and links to the code of the asset and of the core stage it calls."""

import inspect
from collections.abc import Callable, Sequence

import dagster as dg

from synth_assets.lineage.store import LineageStore

GROUP = "synthetic_data"


def table_metadata(store: LineageStore, table: str, snapshot_ids: Sequence[str]
                   ) -> dict[str, object]:
    """`dagster/row_count`: the records in the snapshots the asset passes on (a stage with one
    snapshot per mixture or preference set sums them); `dagster/column_schema`: the columns of
    the store's table holding those records, as the store declares them."""
    rows = sum(int(store.query("snapshot_size", snapshot_id=snapshot_id)[0]["members"])
               for snapshot_id in snapshot_ids)
    columns = [dg.TableColumn(name=column["column_name"], type=column["data_type"])
               for column in store.query("table_columns", table_name=table)]
    return {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }


def _source_reference(function: Callable, label: str) -> dg.LocalFileCodeReference:
    function = inspect.unwrap(function)  # the asset's own body, not a decorator's wrapper
    return dg.LocalFileCodeReference(file_path=str(inspect.getsourcefile(function)),
                                     line_number=inspect.getsourcelines(function)[1],
                                     label=label)


def with_code_references(*stage_functions: Callable
                         ) -> Callable[[dg.AssetsDefinition], dg.AssetsDefinition]:
    """Outermost decorator of a stage asset: `dagster/code_references` links the catalog to
    the asset's function and to the core stage functions it calls."""

    def attach(asset: dg.AssetsDefinition) -> dg.AssetsDefinition:
        references = [_source_reference(asset.op.compute_fn.decorated_fn, "asset"),
                      *(_source_reference(function, f"stage: {function.__module__}."
                                                    f"{function.__qualname__}")
                        for function in stage_functions)]
        return asset.map_asset_specs(lambda spec: spec.merge_attributes(metadata={
            "dagster/code_references": dg.CodeReferencesMetadataValue(
                code_references=references)}))

    return attach
