"""Dagster runs started from the command line: `synth run` materializes days in order,
`synth forget` publishes again; what a failed run says."""
