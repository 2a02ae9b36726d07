"""The pipeline spec: seed sets, teachers, recipes, verifiers, benchmarks and mixtures."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SeedKind = Literal["math", "code", "instruction"]


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


class RecipeSpec(StrictModel):
    seed_set: str
    teacher: str
    template: str = Field(description="Jinja template over the seed's fields")
    system: str | None = None
    samples_per_seed: int = Field(default=1, gt=0)
    verifiers: list[str] = Field(default_factory=list)
    domain: Literal["math", "code", "general"]


class VerifierSpec(StrictModel):
    type: Literal["math_answer", "python_tests", "length"]
    options: dict[str, Any] = Field(default_factory=dict)


class BenchmarkSpec(StrictModel):
    type: Literal["humaneval", "file", "huggingface"]
    path: str | None = Field(
        default=None, description="file: .jsonl or .parquet; huggingface: a save_to_disk folder"
    )
    dataset: str | None = Field(default=None, description="huggingface: a hub dataset id")
    config: str | None = None
    split: str = "test"
    revision: str | None = None
    question_field: str = "question"
    answer_field: str | None = None
    max_contaminated_rate: float | None = Field(
        default=None, ge=0, le=1,
        description="ceiling on the share of records hitting this benchmark (GE check)",
    )

    @model_validator(mode="after")
    def _source_is_given(self) -> "BenchmarkSpec":
        if self.type == "file" and not self.path:
            raise ValueError("a benchmark of type 'file' needs a path")
        if self.type == "huggingface" and (self.path is None) == (self.dataset is None):
            raise ValueError(
                "a benchmark of type 'huggingface' needs either dataset (a hub id) or path "
                "(a folder written by save_to_disk)"
            )
        return self


class NgramDetectorSpec(StrictModel):
    enabled: bool = True
    min_matches: int = Field(default=1, gt=0, description="shared n-grams that flag a record")


class CoverageDetectorSpec(StrictModel):
    enabled: bool = True
    n: int = Field(default=8, gt=0)
    threshold: float = Field(default=0.5, gt=0, le=1,
                             description="share of an item's tokens inside shared n-grams")


class MinHashDetectorSpec(StrictModel):
    enabled: bool = True
    shingle_words: int = Field(default=3, gt=0)
    permutations: int = Field(default=128, gt=0)
    threshold: float = Field(default=0.5, gt=0, le=1, description="estimated Jaccard")


class SemanticDetectorSpec(StrictModel):
    enabled: bool = True
    backend: Literal["auto", "minilm", "tfidf"] = Field(
        default="auto", description="auto: the MiniLM embedding model if installed, else TF-IDF"
    )
    threshold: float = Field(default=0.88, gt=0, le=1, description="cosine, MiniLM backend")
    tfidf_threshold: float = Field(default=0.6, gt=0, le=1, description="cosine, TF-IDF")


class LlmJudgeSpec(StrictModel):
    enabled: bool = False
    teacher: str | None = Field(default=None, description="a teacher of the spec")
    max_pairs: int = Field(default=50, gt=0, description="pairs judged per materialization")
    min_similarity: float = Field(
        default=0.6, ge=0, le=1,
        description="semantic score a record's closest item needs to be sent to the judge",
    )


class ContaminationSpec(StrictModel):
    ngram_n: int = Field(default=13, gt=0)
    max_contaminated_rate: float = Field(default=1.0, ge=0, le=1)
    ngram: NgramDetectorSpec = NgramDetectorSpec()
    coverage: CoverageDetectorSpec = CoverageDetectorSpec()
    minhash: MinHashDetectorSpec = MinHashDetectorSpec()
    semantic: SemanticDetectorSpec = SemanticDetectorSpec()
    llm_judge: LlmJudgeSpec = LlmJudgeSpec()
    quarantine_seed_descendants: bool = Field(
        default=True,
        description="when a seed's own text hits, hold back every record derived from it",
    )

    @model_validator(mode="after")
    def _judge_needs_teacher(self) -> "ContaminationSpec":
        if self.llm_judge.enabled and not self.llm_judge.teacher:
            raise ValueError("contamination.llm_judge.enabled needs a teacher")
        return self


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
