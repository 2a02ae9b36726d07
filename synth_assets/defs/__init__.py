"""The Dagster shell, laid out as `dg` projects are: one folder per stage holding its asset
(asset.py), its blocking checks (checks.py), the Great Expectations suite they run (suite.py)
and the metadata it shows; the budget gate and the diversity checks, shared by stages, in
their own folders; the resource, partitions, jobs and automation in their own files.
synth_assets.definitions loads every definition from this folder (dg.load_from_defs_folder).
Thin: read the spec, call the core stage in synth_assets.stages, report."""
