"""The pipeline spec: seed sets, teachers, recipes, verifiers, benchmarks and mixtures."""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SeedKind = Literal["math", "code", "instruction", "document"]
# Providers whose batch API takes the OpenAI batch files written here through litellm's
# files and batches calls (OpenAI, and OpenAI-compatible servers as openai/ with an api_base).
BATCH_PROVIDERS = frozenset({"openai"})


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
    requests_per_minute: int | None = Field(default=None, gt=0)
    tokens_per_minute: int | None = Field(
        default=None, gt=0, description="prompt + completion tokens; a call reserves max_tokens"
    )
    max_retries: int = Field(
        default=5, ge=0, description="retries of one call on 429, 5xx, timeouts, lost connections"
    )
    max_invalid_retries: int = Field(
        default=2, ge=0,
        description="retries of an unusable answer (empty, cut by max_tokens, invalid JSON)",
    )
    retry_base_delay_s: float = Field(default=1.0, gt=0)
    retry_max_delay_s: float = Field(default=60.0, gt=0)
    mode: Literal["online", "batch"] = Field(
        default="online",
        description="batch: teacher_generations goes through the provider's batch API (about "
                    "half price, answers within the completion window; docs/teacher.md)",
    )
    batch_input_cost_per_token: float | None = Field(default=None, ge=0)
    batch_output_cost_per_token: float | None = Field(default=None, ge=0)
    batch_max_requests: int = Field(default=50_000, gt=0,
                                    description="requests in one batch (OpenAI: 50,000)")
    batch_max_file_mb: float = Field(default=200.0, gt=0,
                                     description="size of one batch input file (OpenAI: 200 MB)")

    @model_validator(mode="after")
    def _batch_provider(self) -> "TeacherSpec":
        """The batch API exists only where the provider takes OpenAI batch files."""
        provider = self.model.split("/", 1)[0] if "/" in self.model else "openai"
        if self.mode == "batch" and provider not in BATCH_PROVIDERS:
            raise ValueError(
                f"mode: batch needs a provider with a batch API through litellm "
                f"({', '.join(sorted(BATCH_PROVIDERS))}); {self.model!r} is {provider!r}")
        return self


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
    skip_filters: list[str] = Field(
        default_factory=list,
        description="default filters of the recipe's domain not to check (docs/verifiers.md)",
    )
    domain: Literal["math", "code", "general"]
    response_format: Literal["text", "json"] = Field(
        default="text", description="json: ask for a JSON object and reject answers that are not"
    )

    @model_validator(mode="after")
    def _one_seed_source(self) -> "RecipeSpec":
        if (self.seed_set is None) == (self.seeds_from is None):
            raise ValueError("a recipe needs exactly one of 'seed_set' or 'seeds_from'")
        return self


class VerifierSpec(StrictModel):
    type: Literal["math_answer", "python_tests", "length", "format", "program_of_thought",
                  "llm_judge", "refusal", "language", "json_schema",
                  "preamble", "truncation", "repetition", "gopher_quality",
                  # recipe-specific (docs/verifiers.md)
                  "required_words", "story_feature", "persona", "rephrase_style",
                  "conversation_turns", "entities_discussed", "grounding", "evolution",
                  "self_instruct_task", "worked_solution", "revision", "program_computes"]
    options: dict[str, Any] = Field(default_factory=dict)
    min_score: float | None = Field(
        default=None, ge=0, le=1,
        description="admit a record when its verdict's score is at least this; unset: when the "
        "verdict passed. Applied when selecting, so changing it re-runs nothing",
    )


class DedupSpec(StrictModel):
    enabled: bool = True
    threshold: float = Field(default=0.7, gt=0, le=1,
                             description="Jaccard similarity of word n-grams for near-duplicates")
    ngram: int = Field(default=5, gt=0)
    num_perm: int = Field(default=128, ge=16, le=1024)


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
    """Human-written records: a local JSONL/Parquet file, a folder written by
    `datasets.Dataset.save_to_disk`, or (when online) a Hugging Face Hub dataset."""

    path: str | None = Field(default=None, description="JSONL, Parquet or save_to_disk folder")
    hf_dataset: str | None = Field(default=None, description="Hub dataset name, e.g. org/name")
    split: str = "train"
    instruction_field: str = "instruction"
    response_field: str = "response"
    domain: Literal["math", "code", "general"] | None = Field(
        default=None, description="domain of every row; read from each row's `domain` if unset"
    )
    license: str | None = Field(
        default=None, description="license of every row; read from each row's `license` if unset"
    )
    limit: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_location(self) -> "RealSourceSpec":
        if (self.path is None) == (self.hf_dataset is None):
            raise ValueError("a real source needs exactly one of path or hf_dataset")
        return self


DEFAULT_MIN_REAL_FRACTION = 0.2


class ComponentSpec(StrictModel):
    """One part of a mixture: clean records of some recipes, or records of some real sources,
    asked for as a ratio of the mixture, a record count or a token budget."""

    recipes: list[str] = Field(default_factory=list)
    real_sources: list[str] = Field(default_factory=list)
    ratio: float | None = Field(default=None, ge=0, le=1)
    count: int | None = Field(default=None, gt=0)
    tokens: int | None = Field(default=None, gt=0, description="token budget (chars / 4)")

    @model_validator(mode="after")
    def _one_source_kind_and_one_quantity(self) -> "ComponentSpec":
        if bool(self.recipes) == bool(self.real_sources):
            raise ValueError("a component takes either recipes or real_sources (one of them)")
        given = [name for name in ("ratio", "count", "tokens") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a component needs exactly one of ratio, count, tokens; got {given}")
        return self

    @property
    def kind(self) -> Literal["synthetic", "real"]:
        return "synthetic" if self.recipes else "real"

    @property
    def unit(self) -> Literal["ratio", "count", "tokens"]:
        if self.ratio is not None:
            return "ratio"
        return "count" if self.count is not None else "tokens"

    @property
    def amount(self) -> float:
        return next(v for v in (self.ratio, self.count, self.tokens) if v is not None)

    @property
    def sources(self) -> list[str]:
        return self.recipes or self.real_sources


class MixtureSpec(StrictModel):
    """Components with ratios (of `size`, or the largest mixture the pools allow), record
    counts or token budgets; one unit per mixture. The shorthand `recipes`, `real_sources`,
    `real_fraction` stands for two ratio components named synthetic and real."""

    components: dict[str, ComponentSpec] = Field(min_length=1)
    size: int | None = Field(default=None, gt=0, description="total records; ratios only")
    min_real_fraction: float = Field(default=DEFAULT_MIN_REAL_FRACTION, ge=0, le=1)
    real_floor_waiver: str | None = Field(
        default=None,
        description="why this mixture may hold less real data than the default floor; "
                    "required to set min_real_fraction below it",
    )
    stratify_by_domain: bool = Field(
        default=False, description="within each component, every domain gets its pool share"
    )
    accumulate: bool = Field(
        default=True,
        description="keep clean records of earlier materializations in the pool; false uses "
                    "only the records this run judged",
    )
    seed: int = 0
    formats: list[Literal["jsonl", "parquet", "openai_chat"]] = Field(
        default_factory=lambda: ["jsonl", "parquet", "openai_chat"]
    )

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or "components" in raw or "recipes" not in raw:
            return raw
        raw = dict(raw)
        real_fraction = raw.pop("real_fraction", 0.0)
        components: dict[str, Any] = {
            "synthetic": {"recipes": raw.pop("recipes"), "ratio": 1 - real_fraction},
        }
        sources = raw.pop("real_sources", [])
        if sources or real_fraction:
            components["real"] = {"real_sources": sources, "ratio": real_fraction}
        return {**raw, "components": components}

    @model_validator(mode="after")
    def _consistent_and_above_real_floor(self) -> "MixtureSpec":
        units = {component.unit for component in self.components.values()}
        if len(units) > 1:
            raise ValueError(f"components mix units {sorted(units)}: use one of ratio, count, "
                             "tokens for every component of a mixture")
        if units == {"ratio"} and abs(sum(c.amount for c in self.components.values()) - 1) > 1e-9:
            raise ValueError("component ratios must add up to 1")
        if self.size is not None and units != {"ratio"}:
            raise ValueError("size applies to ratio components only")
        if not {"jsonl", "parquet"} & set(self.formats):
            raise ValueError("formats needs jsonl or parquet (the dataset folder loads one)")
        names = [name for component in self.components.values() for name in component.sources]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"{repeated} appear in more than one component")
        if self.min_real_fraction < DEFAULT_MIN_REAL_FRACTION and not self.real_floor_waiver:
            raise ValueError(
                f"min_real_fraction {self.min_real_fraction} is below the default floor "
                f"{DEFAULT_MIN_REAL_FRACTION}: give real_floor_waiver (the reason, recorded in "
                "the manifest and dataset card) to ship that little real data"
            )
        if self.real_share < self.min_real_fraction - 1e-9:
            raise ValueError(
                f"real data would be {self.real_share:.3g} of the mixture, below "
                f"min_real_fraction {self.min_real_fraction}: mixing real data back in is what "
                "prevents model collapse. Add a real_sources component, or lower "
                "min_real_fraction and state real_floor_waiver if you really mean it"
            )
        return self

    @property
    def unit(self) -> Literal["ratio", "count", "tokens"]:
        return next(iter(self.components.values())).unit

    @property
    def real_share(self) -> float:
        """The share of real data the spec asks for, in the mixture's unit."""
        total = sum(c.amount for c in self.components.values())
        real = sum(c.amount for c in self.components.values() if c.kind == "real")
        return real / total if total else 0.0

    @property
    def recipes(self) -> list[str]:
        return [r for c in self.components.values() for r in c.recipes]

    @property
    def real_sources(self) -> list[str]:
        return [s for c in self.components.values() for s in c.real_sources]


class PairSourceSpec(StrictModel):
    count: int | None = Field(default=None, gt=0,
                              description="pairs wanted from this source; unset: every pair")


class ScorePairsSpec(PairSourceSpec):
    verifier: str = Field(description="a verifier of the set's recipes whose score ranks samples")
    min_margin: float = Field(default=0.2, gt=0, le=1,
                              description="highest minus lowest score a pair needs")


def revises_seed_draft(recipe: RecipeSpec) -> bool:
    """Whether the recipe's record replaces the draft `response` its prompt shows from the seed
    (a revision, as in the built-in constitutional recipe)."""
    return "response" in recipe.record and re.search(r"{{\s*response\s*}}", recipe.template) \
        is not None


class PreferenceSetSpec(StrictModel):
    """Preference pairs from the samples of the listed recipes (docs/preferences.md): verifier
    pairs (admitted sample vs one that failed a verifier), score pairs (highest vs lowest score
    of one verifier) and revision pairs (a revision vs the draft in its seed)."""

    recipes: list[str] = Field(min_length=1)
    verifier_pairs: PairSourceSpec | None = None
    score_pairs: ScorePairsSpec | None = None
    revision_pairs: PairSourceSpec | None = None
    rl_prompts: bool = Field(default=True, description="also export the prompts with what their "
                                                       "verifier reward needs")
    seed: int = 0
    formats: list[Literal["jsonl", "parquet"]] = Field(
        default_factory=lambda: ["jsonl", "parquet"], min_length=1)

    @model_validator(mode="after")
    def _some_source(self) -> "PreferenceSetSpec":
        if all(source is None for source in self.sources.values()):
            raise ValueError("a preference set needs at least one of verifier_pairs, "
                             "score_pairs, revision_pairs")
        return self

    @property
    def sources(self) -> dict[str, PairSourceSpec | None]:
        return {"verifier": self.verifier_pairs, "score": self.score_pairs,
                "revision": self.revision_pairs}


class QualitySpec(StrictModel):
    min_seeds_per_set: int = Field(default=1, ge=0)
    min_generations: int = Field(default=1, ge=0)
    min_pass_rate: float = Field(default=0.0, ge=0, le=1)
    min_mixture_records: int = Field(default=1, ge=0)
    min_distinct_2: float = Field(
        default=0.0, ge=0, le=1,
        description="floor on each recipe's share of distinct bigrams, measured on fixed-size "
                    "word samples (metrics.diversity) so it means the same at every size",
    )
    max_distinct_2_drop: float = Field(
        default=1.0, ge=0, le=1,
        description="largest relative fall of a recipe's distinct-2 below the median of its "
                    "earlier days' partitions (1: never fails)",
    )
    max_duplicate_share: float = Field(
        default=1.0, ge=0, le=1, description="ceiling on each recipe's exact + near duplicates"
    )


class BudgetSpec(StrictModel):
    """Spend allowed to one materialization of teacher_generations (new calls only): checked
    against an estimate before any call (the budget gate) and against actual spend before each
    batch (the run stops cleanly). Unset: no limit."""

    max_cost_usd: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, gt=0, description="prompt + completion tokens")
    expected_completion_tokens: int | None = Field(
        default=None, gt=0,
        description="tokens per answer in the estimate; default: the teacher's max_tokens",
    )
    allow_partial: bool = Field(
        default=False,
        description="false: a run whose estimate exceeds the budget does not start; true: it "
                    "starts and stops cleanly before the batch that would cross the budget",
    )


class PipelineSpec(StrictModel):
    version: Literal[1] = 1
    seed_sets: dict[str, SeedSetSpec] = Field(min_length=1)
    teachers: dict[str, TeacherSpec] = Field(min_length=1)
    recipes: dict[str, RecipeSpec] = Field(min_length=1)
    verifiers: dict[str, VerifierSpec] = Field(default_factory=dict)
    benchmarks: dict[str, BenchmarkSpec] = Field(default_factory=dict)
    contamination: ContaminationSpec = ContaminationSpec()
    dedup: DedupSpec = DedupSpec()
    real_sources: dict[str, RealSourceSpec] = Field(default_factory=dict)
    mixtures: dict[str, MixtureSpec] = Field(default_factory=dict)
    preference_sets: dict[str, PreferenceSetSpec] = Field(default_factory=dict)
    quality: QualitySpec = QualitySpec()
    budget: BudgetSpec = BudgetSpec()
    seed: int = Field(default=0, description="seeds every sampled choice in prompts")
