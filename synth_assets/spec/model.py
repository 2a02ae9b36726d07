"""The pipeline spec: seed sets, teachers, recipes, verifiers, benchmarks and mixtures."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SeedKind = Literal["math", "code", "instruction", "document"]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedSetSpec(StrictModel):
    path: str = Field(description="JSONL file, relative to the spec file")
    kind: SeedKind
    limit: int | None = Field(default=None, gt=0, description="use only the first N rows")


class TeacherSpec(StrictModel):
    model: str = Field(description="any litellm model string, e.g. openai/gpt-4o-mini")
    api_base: str | None = None
    api_key_env: str | None = Field(
        default=None, description="name of the environment variable holding the API key"
    )
    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=256, gt=0)
    concurrency: int = Field(default=4, gt=0)
    timeout_s: float = Field(default=120.0, gt=0)
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)


class AttributeSpec(StrictModel):
    """Values a recipe samples for each prompt: a list in the spec, a file (one value a line
    in .txt, one JSON value a line in .jsonl) or a list field of the seed itself."""

    values: list[Any] | None = Field(default=None, min_length=1)
    file: str | None = Field(default=None, description="relative to the spec file, or builtin:")
    from_seed: str | None = Field(default=None, description="a seed field holding a list")
    pick: int = Field(default=1, gt=0, description="drawn without replacement; >1 gives a list")

    @model_validator(mode="after")
    def _one_source(self) -> "AttributeSpec":
        if [self.values, self.file, self.from_seed].count(None) != 2:
            raise ValueError("an attribute needs exactly one of 'values', 'file' or 'from_seed'")
        if self.values is not None and self.pick > len(self.values):
            raise ValueError(f"pick {self.pick} is more than the {len(self.values)} values")
        return self


class ParserSpec(StrictModel):
    type: Literal["text", "sections", "conversation", "python_code"] = "text"
    options: dict[str, Any] = Field(default_factory=dict)


class SeedsFromSpec(StrictModel):
    recipe: str = Field(description="the earlier round: its verified records become the seeds")
    kind: SeedKind | None = Field(default=None, description="default: the earlier round's kind")


class RecipeSpec(StrictModel):
    builtin: str | None = Field(default=None, description="the built-in recipe this extends")
    seed_set: str | None = None
    seeds_from: SeedsFromSpec | None = None
    teacher: str
    template: str = Field(description="Jinja template over the seed's fields and attributes")
    system: str | None = None
    attributes: dict[str, AttributeSpec] = Field(default_factory=dict)
    prompts_per_seed: int = Field(default=1, gt=0, description="attribute draws per seed")
    samples_per_seed: int = Field(default=1, gt=0)
    parser: ParserSpec = ParserSpec()
    record: dict[str, str] = Field(
        default_factory=dict,
        description="Jinja templates for the record's fields (instruction, response, ...) over "
                    "the seed's fields, the attributes, the parsed fields and `generated` (the "
                    "raw answer)",
    )
    verifiers: list[str] = Field(default_factory=list)
    domain: Literal["math", "code", "general"]

    @model_validator(mode="after")
    def _one_seed_source(self) -> "RecipeSpec":
        if (self.seed_set is None) == (self.seeds_from is None):
            raise ValueError("a recipe needs exactly one of 'seed_set' or 'seeds_from'")
        return self


class VerifierSpec(StrictModel):
    type: Literal["math_answer", "python_tests", "length", "format"]
    options: dict[str, Any] = Field(default_factory=dict)


class BenchmarkSpec(StrictModel):
    type: Literal["humaneval", "file"]
    path: str | None = None
    question_field: str = "question"
    answer_field: str | None = None

    @model_validator(mode="after")
    def _file_needs_path(self) -> "BenchmarkSpec":
        if self.type == "file" and not self.path:
            raise ValueError("a benchmark of type 'file' needs a path")
        return self


class ContaminationSpec(StrictModel):
    ngram_n: int = Field(default=13, gt=0)
    max_contaminated_rate: float = Field(default=1.0, ge=0, le=1)


class RealSourceSpec(StrictModel):
    path: str = Field(description="JSONL with instruction, response, domain, license")


class MixtureSpec(StrictModel):
    recipes: list[str] = Field(min_length=1)
    real_sources: list[str] = Field(default_factory=list)
    real_fraction: float = Field(ge=0, le=1)
    min_real_fraction: float = Field(default=0.2, ge=0, le=1)
    size: int | None = Field(default=None, gt=0)
    seed: int = 0
    formats: list[Literal["jsonl", "parquet"]] = Field(default_factory=lambda: ["jsonl", "parquet"])

    @model_validator(mode="after")
    def _real_floor(self) -> "MixtureSpec":
        if self.real_fraction < self.min_real_fraction:
            raise ValueError(
                f"real_fraction {self.real_fraction} is below min_real_fraction "
                f"{self.min_real_fraction}: mixing real data back in is what prevents collapse; "
                "lower min_real_fraction explicitly if you really mean it"
            )
        if self.real_fraction > 0 and not self.real_sources:
            raise ValueError("real_fraction > 0 needs at least one entry in real_sources")
        return self


class QualitySpec(StrictModel):
    min_seeds_per_set: int = Field(default=1, ge=0)
    min_generations: int = Field(default=1, ge=0)
    min_pass_rate: float = Field(default=0.0, ge=0, le=1)
    min_mixture_records: int = Field(default=1, ge=0)
    min_distinct_2: float = Field(
        default=0.0, ge=0, le=1, description="floor on each recipe's share of distinct bigrams"
    )
    max_duplicate_share: float = Field(
        default=1.0, ge=0, le=1, description="ceiling on each recipe's exact + near duplicates"
    )


class BudgetSpec(StrictModel):
    """Limits checked against an estimate before any teacher call of a run (unset: no limit)."""

    max_cost_usd: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, gt=0, description="prompt + completion tokens")
    expected_completion_tokens: int | None = Field(
        default=None, gt=0,
        description="tokens per answer in the estimate; default: the teacher's max_tokens",
    )


class PipelineSpec(StrictModel):
    version: Literal[1] = 1
    seed_sets: dict[str, SeedSetSpec] = Field(min_length=1)
    teachers: dict[str, TeacherSpec] = Field(min_length=1)
    recipes: dict[str, RecipeSpec] = Field(min_length=1)
    verifiers: dict[str, VerifierSpec] = Field(default_factory=dict)
    benchmarks: dict[str, BenchmarkSpec] = Field(default_factory=dict)
    contamination: ContaminationSpec = ContaminationSpec()
    real_sources: dict[str, RealSourceSpec] = Field(default_factory=dict)
    mixtures: dict[str, MixtureSpec] = Field(default_factory=dict)
    quality: QualitySpec = QualitySpec()
    budget: BudgetSpec = BudgetSpec()
    seed: int = Field(default=0, description="seeds every sampled choice in prompts")
