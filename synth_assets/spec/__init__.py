from synth_assets.spec.load import DEFAULT_SPEC_PATH, LoadedSpec, SpecError, load_spec, read_spec
from synth_assets.spec.model import PipelineSpec

__all__ = ["DEFAULT_SPEC_PATH", "LoadedSpec", "PipelineSpec", "SpecError", "load_spec",
           "read_spec"]
