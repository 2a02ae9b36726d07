"""What a teacher call cost, and what one is expected to cost before it is made."""

import litellm

from synth_assets.spec.model import TeacherSpec
from synth_assets.teacher.requests import TeacherRequest

CHARS_PER_TOKEN = 4  # a rough count is enough: actual usage replaces it once the answer is in
TOKENS_PER_MESSAGE = 4


def has_spec_prices(teacher: TeacherSpec) -> bool:
    return teacher.input_cost_per_token is not None or teacher.output_cost_per_token is not None


def token_prices(teacher: TeacherSpec) -> tuple[float, float] | None:
    """(input, output) USD per token: the spec's, else litellm's cost map, else None."""
    if has_spec_prices(teacher):
        return teacher.input_cost_per_token or 0.0, teacher.output_cost_per_token or 0.0
    try:
        info = litellm.get_model_info(teacher.model)
    except Exception:  # litellm raises several types for models missing from its cost map
        return None
    return info.get("input_cost_per_token") or 0.0, info.get("output_cost_per_token") or 0.0


def batch_token_prices(teacher: TeacherSpec) -> tuple[float, float] | None:
    """(input, output) USD per token through the provider's batch API: the spec's batch prices,
    else (when the spec gives no online prices either, which would say the map's prices are not
    the ones paid) litellm's cost map's `*_batches` prices, else the online prices (no discount
    known)."""
    if teacher.batch_input_cost_per_token is not None or \
            teacher.batch_output_cost_per_token is not None:
        return teacher.batch_input_cost_per_token or 0.0, teacher.batch_output_cost_per_token or 0.0
    if not has_spec_prices(teacher):
        try:
            info = litellm.get_model_info(teacher.model)
        except Exception:  # litellm raises several types for models missing from its cost map
            info = {}
        if info.get("input_cost_per_token_batches") is not None:
            return (float(info["input_cost_per_token_batches"]),
                    float(info.get("output_cost_per_token_batches") or 0.0))
    return token_prices(teacher)


def call_cost(teacher: TeacherSpec, response: litellm.ModelResponse, prompt_tokens: int,
              completion_tokens: int) -> float:
    """Spec prices win; otherwise the cost litellm computed from its cost map for this response
    (it knows cached-token and tiered prices); a model it doesn't know costs 0."""
    if has_spec_prices(teacher):
        return (prompt_tokens * (teacher.input_cost_per_token or 0.0)
                + completion_tokens * (teacher.output_cost_per_token or 0.0))
    hidden = getattr(response, "_hidden_params", None) or {}
    return float(hidden.get("response_cost") or 0.0)


def estimated_prompt_tokens(request: TeacherRequest) -> int:
    characters = sum(len(message.get("content") or "") for message in request.messages)
    return characters // CHARS_PER_TOKEN + TOKENS_PER_MESSAGE * len(request.messages)


def worst_case_tokens(request: TeacherRequest) -> int:
    """Prompt tokens (estimated) plus every token the answer may use."""
    return estimated_prompt_tokens(request) + int(request.params["max_tokens"])
