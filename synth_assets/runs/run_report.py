"""What `synth run` says about a Dagster run that failed: the cause in a sentence (the failed
check and its expectation, or the step's error), and the step, recipe and partition it stopped
at. The tracebacks stay in Dagster's event log and the log file `synth run` writes."""

from dataclasses import dataclass

import dagster as dg

PARTITION_TAG = "dagster/partition"


@dataclass(frozen=True)
class RunFailure:
    partition: str | None       # "day|recipe" for a generation run
    step: str | None
    cause: str


def run_failure(result: dg.ExecuteInProcessResult) -> RunFailure:
    partition = result.dagster_run.tags.get(PARTITION_TAG)
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            return RunFailure(
                partition, evaluation.asset_key.to_user_string(),
                f"check {evaluation.asset_key.to_user_string()}/{evaluation.check_name} "
                f"failed: {evaluation.description or 'no description'}")
    for event in result.all_events:
        if event.is_step_failure:
            return RunFailure(partition, event.step_key, _step_cause(event))
    return RunFailure(partition, None, "the run failed without a failed step (see the log)")


def _step_cause(event: dg.DagsterEvent) -> str:
    """A Failure's description (our own sentence, see defs.failures); else the innermost
    error, the one that started it."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    if error is None:
        return "unknown error (see the log)"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
