"""A stage's blocking checks run in the stage's own step, right after its output. Each is an
AssetCheckSpec of the asset (the UI lists it under the asset, marked blocking, and a failed one
stops the stages after it) evaluated by a plain function in the stage's checks.py.

Why not one `@asset_check` step per check: a step costs its own events in the instance's event
log (start, inputs, success), a read of its inputs through the IO manager and a turn of the
DuckDB pool, about as much as a stage whose work is all stored; a run of the pipeline that
finds everything stored was mostly that. The price: the UI runs a check only with its asset's
step, and a rerun of a stage whose inputs did not change reuses what it stored.

teacher_generations is the exception: its output is optional (a batch teacher's run ends
waiting for its batches, materializing nothing), so its checks keep steps of their own
(`BlockingCheck.own_step`)."""

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec

import dagster as dg

Params = ParamSpec("Params")
AssetFunction = Callable[Params, Any]


@dataclass(frozen=True)
class BlockingCheck:
    """`evaluate` takes what it names of: `context`, `synth`, the asset's name (the value the
    asset outputs) and the asset's inputs by name, as an `@asset_check` function would."""

    asset: str
    name: str
    description: str
    evaluate: Callable[..., dg.AssetCheckResult]
    partitions_def: dg.PartitionsDefinition | None = None

    @property
    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.asset, description=self.description,
                                 blocking=True, partitions_def=self.partitions_def)

    def own_step(self) -> dg.AssetChecksDefinition:
        """The check as an `@asset_check` step of its own, for an asset whose output is
        optional: Dagster requires a check declared on the asset to report whenever the
        asset's step runs, materialized or not."""
        return dg.asset_check(asset=self.asset, name=self.name, description=self.description,
                              blocking=True, partitions_def=self.partitions_def)(self.evaluate)

    def result(self, available: Mapping[str, Any]) -> dg.AssetCheckResult:
        wanted = inspect.signature(self.evaluate).parameters
        result = self.evaluate(**{name: available[name] for name in wanted})
        return result._replace(asset_key=dg.AssetKey(self.asset), check_name=self.name)


@dataclass(frozen=True)
class BlockingChecks:
    """The checks of one asset: `specs` for `@dg.asset(check_specs=...)`, and `after_output`
    to decorate the asset's function (under `@dg.asset`, which reads the signature through
    it). The decorated function is a generator, whose return annotation Dagster does not read:
    the asset names its output's type with `dagster_type=`, for the UI's catalog."""

    checks: tuple[BlockingCheck, ...]

    @property
    def specs(self) -> list[dg.AssetCheckSpec]:
        return [check.spec for check in self.checks]

    def after_output(self, asset_fn: AssetFunction) -> Callable[Params, Iterator[Any]]:
        """The asset's outputs, each followed by the results of every check on its value."""
        signature = inspect.signature(asset_fn)

        @functools.wraps(asset_fn)
        def stage(*args: Params.args, **kwargs: Params.kwargs) -> Iterator[Any]:
            arguments = signature.bind(*args, **kwargs).arguments
            outputs = asset_fn(*args, **kwargs)
            for output in outputs if inspect.isgenerator(outputs) else [outputs]:
                yield output
                available = {**arguments, asset_fn.__name__: output.value}
                for check in self.checks:
                    yield check.result(available)

        return stage
