"""Bad input met while a stage runs becomes a Dagster Failure whose description is the cause
in a sentence naming the file and line: the UI shows it as the step's and the run's failure,
`synth run` prints it, and the traceback stays in the event log."""

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import dagster as dg

from synth_assets.decontam.loaders import BenchmarkSourceError
from synth_assets.jsonl import InputFileError
from synth_assets.lineage.store import LockTimeoutError
from synth_assets.mix.plan import MixtureError
from synth_assets.recipes.attributes import AttributeValuesError
from synth_assets.recipes.render import TemplateError
from synth_assets.recipes.rounds import RoundError
from synth_assets.spec import SpecError
from synth_assets.stages.partitions import PartitionError
from synth_assets.teacher.cached import BudgetPriceError

# Errors whose message is the whole story for the user (what, and where to fix it).
INPUT_ERRORS = (AttributeValuesError, BenchmarkSourceError, BudgetPriceError, InputFileError,
                LockTimeoutError, MixtureError, PartitionError, RoundError, SpecError,
                TemplateError)


Params = ParamSpec("Params")
Result = TypeVar("Result")


def input_errors_as_failure(asset_fn: Callable[Params, Result]) -> Callable[Params, Result]:
    """Decorates an asset's function (under @dg.asset, which reads the signature through it)."""

    if inspect.isgeneratorfunction(asset_fn):  # an asset whose output is optional
        @functools.wraps(asset_fn)
        def generator_asset(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            try:
                yield from asset_fn(*args, **kwargs)
            except INPUT_ERRORS as error:
                raise dg.Failure(description=str(error)) from error

        return generator_asset

    @functools.wraps(asset_fn)
    def asset(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return asset_fn(*args, **kwargs)
        except INPUT_ERRORS as error:
            raise dg.Failure(description=str(error)) from error

    return asset
