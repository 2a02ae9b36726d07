"""Worker process for synth_assets.verify.symbolic: reads [predicted, gold, tolerance, decimals]
JSON lines on stdin and answers each with a JSON true/false line.

math-verify's `parse` turns each answer's LaTeX into sympy (in this process's main thread, where
its SIGALRM timeouts work); the comparison below is ours, because math-verify's own `verify`
accepts near misses a reward must reject: it treats differences under 1e-15 as zero (so
`\\pi + 10^{-20}` equals `\\pi`) and rounds decimals to 6 places whatever the tolerance.

What is compared how (docs/verifiers.md has the whole list):
- scalars: exactly (sympy simplifies the difference to 0; decimals inside an expression are read
  as the exact fractions they spell: 0.5x is x/2). A bare decimal against a constant
  (sqrt(2), pi/2, 1/3) is equal within `tolerance`; with `decimals` stated (the question
  asks for a rounding), two constants are equal when they round (half up) to the same value.
- structure first: a set never equals a single value (`\\pm 2021` is {-2021, 2021}, not 2021),
  sets are compared as sets, tuples and intervals in order with their open/closed ends,
  matrices by shape then entry by entry, relations by their solution set in one variable
  (x < 5 is 5 > x, not x > 5) or as the same relation up to a constant factor otherwise.
- an assignment `x = 5` answers `5`; `x = 5` and `y = 5` differ; `x = 2, y = 3` answers (2, 3).
- an answer with words in it (after unit names are dropped) is not math: not equal here (the
  caller compares text); else `\\text{dog}` would equal `\\text{god}` as products of letters.
  Nor is one with numbers separated only by space ("20 5", which math-verify reads as 25).

Usage: python -I symbolic_worker.py PARSE_TIMEOUT_S COMPARE_TIMEOUT_S (standalone: it imports
math-verify, not synth_assets)
"""

import json
import re
import resource
import sys
from decimal import ROUND_HALF_UP, Decimal
from itertools import permutations

from latex2sympy2_extended.latex2sympy2 import normalize_latex
from latex2sympy2_extended.logic import And
from math_verify import LatexExtractionConfig, parse
from math_verify.utils import timeout
from sympy import (
    Basic,
    Eq,
    Expr,
    FiniteSet,
    Float,
    Interval,
    MatrixBase,
    Ne,
    S,
    Tuple,
    Union,
    nsimplify,
    simplify,
)
from sympy.core.relational import Relational

_CONFIG = LatexExtractionConfig()
# Function and constant names that may appear without a backslash; any other run of three or
# more letters is a word.
_MATH_NAMES = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh",
               "cosh", "tanh", "log", "ln", "exp", "sqrt", "infty", "mod", "gcd", "lcm", "max",
               "min", "det", "and"}
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{[a-z*]+\}")
# Two numbers with only space between them: math-verify reads "20 5" as 25 and "3 \quad 4" as 7.
# A digit in a sub- or superscript (\log_2 8) is no such number.
_SPACED_NUMBERS = re.compile(r"(?<![_^\d.])\d+(?:\s|\\[;: ]|\\q?quad\b|~)+\d")
_PLUS_MINUS = re.compile(r"\\(?:pm|mp)(?![A-Za-z])")
# Address space of a worker: an expression that tries to build a huge number fails with a
# MemoryError (or kills only this worker) instead of exhausting the machine.
_MEMORY_LIMIT_BYTES = 2 << 30
# Sets larger than this are compared in sympy's order instead of trying every pairing.
_MAX_PAIRED_SET = 6


def has_words(answer: str) -> bool:
    normalized = _ENVIRONMENT.sub("", normalize_latex(answer, _CONFIG.normalization_config))
    return any(word.lower() not in _MATH_NAMES for word in _WORD.findall(normalized))


def parsed(answer: str, parse_timeout: int) -> Basic | MatrixBase | None:
    """The answer as one sympy object, or None when math-verify cannot read all of it (then
    no part of it, e.g. a number inside, is compared). A \\pm math-verify cannot read inside
    an expression (\\frac{-1 \\pm \\sqrt{5}}{2}) is the set of both signs."""
    whole = _parsed_as_is(answer, parse_timeout)
    if whole is not None or not _PLUS_MINUS.search(answer):
        return whole
    plus = _parsed_as_is(_with_signs(answer, "+", "-"), parse_timeout)
    minus = _parsed_as_is(_with_signs(answer, "-", "+"), parse_timeout)
    return FiniteSet(plus, minus) if plus is not None and minus is not None else None


def _parsed_as_is(answer: str, parse_timeout: int) -> Basic | MatrixBase | None:
    found = parse(f"${answer.replace(chr(10), ' ')}$", extraction_config=[_CONFIG],
                  fallback_mode="no_fallback", extraction_mode="first_match",
                  parsing_timeout=parse_timeout)
    return found[0] if found and isinstance(found[0], Basic | MatrixBase) else None


def _with_signs(answer: str, plus_minus: str, minus_plus: str) -> str:
    """\\pm as one sign and \\mp as the other, everywhere (they go together)."""
    return _PLUS_MINUS.sub(lambda m: plus_minus if m.group() == "\\pm" else minus_plus, answer)


class Comparison:
    def __init__(self, tolerance: float, decimals: int | None) -> None:
        self.tolerance = tolerance
        self.decimals = decimals

    def same(self, gold: Basic, pred: Basic) -> bool:
        gold_value, pred_value = _assigned(gold), _assigned(pred)
        if gold_value is not None and pred_value is not None:
            return gold.lhs == pred.lhs and self.same(gold_value, pred_value)
        # x = 5 answers 5; x \in [1, 2) answers 1 <= x < 2
        if pred_value is not None and (not _is_relation(gold) or _is_collection(pred_value)):
            pred = pred_value
        elif gold_value is not None and (not _is_relation(pred) or _is_collection(gold_value)):
            gold = gold_value
        gold_system, pred_system = _system(gold), _system(pred)
        if gold_system and pred_system:
            return gold_system.keys() == pred_system.keys() and all(
                self.same(gold_system[name], pred_system[name]) for name in gold_system)
        if gold_system or pred_system:  # x = 2, y = 3 answers (2, 3)
            gold = Tuple(*gold_system.values()) if gold_system else gold
            pred = Tuple(*pred_system.values()) if pred_system else pred
        if gold == pred:
            return True
        if isinstance(gold, MatrixBase) or isinstance(pred, MatrixBase):
            return (isinstance(gold, MatrixBase) and isinstance(pred, MatrixBase)
                    and gold.shape == pred.shape
                    and all(self.same(g, p) for g, p in zip(gold, pred, strict=True)))
        if _is_relation(gold) or _is_relation(pred):
            return self._same_relation(gold, pred)
        if _is_collection(gold) or _is_collection(pred):
            return self._same_collection(gold, pred)
        return self._same_scalar(gold, pred)

    def _same_scalar(self, gold: Basic, pred: Basic) -> bool:
        if not isinstance(gold, Expr) or not isinstance(pred, Expr):
            return False
        if not gold.free_symbols and not pred.free_symbols:
            if self.decimals is not None:
                rounded_gold = _rounded(gold, self.decimals)
                if rounded_gold is not None and rounded_gold == _rounded(pred, self.decimals):
                    return True
            if (_is_decimal(gold) or _is_decimal(pred)) \
                    and abs((pred - gold).evalf(30)) <= self.tolerance:
                return True
        difference = simplify(_exact(gold) - _exact(pred))
        return difference.is_zero is True

    def _same_relation(self, gold: Basic, pred: Basic) -> bool:
        relation = gold if _is_relation(gold) else pred
        if len(relation.free_symbols) == 1 and (_is_collection(gold) or _is_collection(pred)):
            return self.same(_as_set(gold), _as_set(pred))  # x <= 5 is (-oo, 5]
        if gold.free_symbols != pred.free_symbols:
            return False
        if len(gold.free_symbols) == 1:
            # one variable: the same solution set (x < 5 is 5 > x and 2x < 10; an interval
            # answers an inequality)
            return self.same(_as_set(gold), _as_set(pred))
        if not (_is_relation(gold) and _is_relation(pred)):
            return False
        gold_links, pred_links = _links(gold), _links(pred)
        return len(gold_links) == len(pred_links) and all(
            _same_link(g, p) for g, p in zip(gold_links, pred_links, strict=True))

    def _same_collection(self, gold: Basic, pred: Basic) -> bool:
        if _is_singleton(gold) and not _is_collection(pred):
            return self.same(gold.args[0], pred)
        if _is_singleton(pred) and not _is_collection(gold):
            return self.same(gold, pred.args[0])
        if isinstance(gold, Interval) and isinstance(pred, Interval):
            return (gold.left_open == pred.left_open and gold.right_open == pred.right_open
                    and self.same(gold.start, pred.start) and self.same(gold.end, pred.end))
        if any(isinstance(gold, kind) and isinstance(pred, kind) for kind in (FiniteSet, Union)):
            return self._same_unordered(gold.args, pred.args)
        gold_items = _ordered_items(gold)
        if gold_items is not None:
            # "1, 2" (or two boxes) answers the pair (1, 2) in the order written
            pred_items = _ordered_items(pred) if not isinstance(pred, FiniteSet) \
                else getattr(pred, "_unsorted_args", pred.args)
            return pred_items is not None and self._same_in_order(gold_items, pred_items)
        return False

    def _same_in_order(self, gold: tuple, pred: tuple) -> bool:
        return len(gold) == len(pred) and all(
            self.same(g, p) for g, p in zip(gold, pred, strict=True))

    def _same_unordered(self, gold: tuple, pred: tuple) -> bool:
        if len(gold) != len(pred):
            return False
        if len(gold) > _MAX_PAIRED_SET:
            return self._same_in_order(gold, pred)
        return any(self._same_in_order(gold, order) for order in permutations(pred))


def _assigned(expr: Basic) -> Basic | None:
    """The value of an assignment `x = value` (the last one of a chain x = 2 + 3 = 5)."""
    if isinstance(expr, Eq) and expr.lhs.is_Symbol:
        return expr.rhs
    if isinstance(expr, And) and all(isinstance(a, Eq) for a in expr._unsorted_args) \
            and expr._unsorted_args[0].lhs.is_Symbol:
        return expr._unsorted_args[-1].rhs
    return None


def _system(expr: Basic) -> dict[str, Basic] | None:
    """{variable: value} for values of several variables (x = 2, y = 3), by variable name."""
    if not isinstance(expr, FiniteSet) or len(expr.args) < 2:
        return None
    if not all(isinstance(a, Eq) and a.lhs.is_Symbol for a in expr.args):
        return None
    values = {a.lhs.name: a.rhs for a in expr.args}
    return dict(sorted(values.items())) if len(values) == len(expr.args) else None


def _ordered_items(expr: Basic) -> tuple | None:
    """The items of a tuple, or of (a, b) read as an open interval (it may be a pair)."""
    if isinstance(expr, Tuple):
        return expr.args
    return (expr.start, expr.end) if _is_open_pair(expr) else None


def _is_relation(expr: Basic) -> bool:
    """A relation, a chain of them (1 < x < 2) or alternatives (x < 2 or x > 3)."""
    if isinstance(expr, Relational):
        return True
    return isinstance(expr, And | FiniteSet) and len(expr.args) > 0 \
        and all(isinstance(a, Relational) for a in expr.args)


def _is_collection(expr: Basic) -> bool:
    return isinstance(expr, FiniteSet | Tuple | Interval | Union) or expr == S.EmptySet


def _is_singleton(expr: Basic) -> bool:
    return isinstance(expr, FiniteSet) and len(expr.args) == 1


def _is_open_pair(expr: Basic) -> bool:
    return isinstance(expr, Interval) and expr.left_open and expr.right_open


def _as_set(expr: Basic) -> Basic:
    """The solution set of a relation in one variable (alternatives are a union)."""
    if isinstance(expr, FiniteSet) and _is_relation(expr):
        return Union(*(relation.as_set() for relation in expr.args))
    return expr.as_set() if _is_relation(expr) else expr


def _links(expr: Basic) -> list[Relational]:
    if isinstance(expr, FiniteSet):
        return []  # alternatives in several variables: not compared
    return list(expr._unsorted_args) if isinstance(expr, And) else [expr]


def _same_link(gold: Relational, pred: Relational) -> bool:
    """Same relation up to a constant factor: y = 2x + 1 is 2x - y + 1 = 0; x + y < 1 is
    1 > x + y, and -x - y > -1, but not x + y > 1."""
    gold_kind, gold_side = _oriented(gold)
    pred_kind, pred_side = _oriented(pred)
    if gold_kind != pred_kind or pred_side == 0:
        return False
    ratio = simplify(gold_side / pred_side)
    if ratio.free_symbols or ratio.is_zero is not False:
        return False
    return ratio.is_positive is True if gold_kind in (">", ">=") else True


def _oriented(relation: Relational) -> tuple[str, Expr]:
    """(kind, side) with relation meaning `side kind 0`, kind one of =, !=, >, >=."""
    side = relation.lhs - relation.rhs
    if isinstance(relation, Eq):
        return "=", side
    if isinstance(relation, Ne):
        return "!=", side
    kind = relation.rel_op
    if kind in ("<", "<="):
        return kind.replace("<", ">"), -side
    return kind, side


def _is_decimal(expr: Expr) -> bool:
    return isinstance(expr, Float) or (expr.could_extract_minus_sign()
                                       and isinstance(-expr, Float))


def _exact(expr: Expr) -> Expr:
    """Decimals as the exact fractions they spell (0.5 is 1/2)."""
    return nsimplify(expr, rational=True) if expr.has(Float) else expr


def _rounded(expr: Expr, decimals: int) -> Decimal | None:
    value = expr.evalf(decimals + 30)
    if not value.is_real or not value.is_finite:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def equal(predicted: str, gold: str, tolerance: float, decimals: int | None,
          parse_timeout: int, compare_timeout: int) -> bool:
    if any(has_words(answer) or _SPACED_NUMBERS.search(answer) for answer in (predicted, gold)):
        return False
    parsed_gold, parsed_pred = parsed(gold, parse_timeout), parsed(predicted, parse_timeout)
    if parsed_gold is None or parsed_pred is None:
        return False
    comparison = Comparison(tolerance, decimals)
    return bool(timeout(compare_timeout)(comparison.same)(parsed_gold, parsed_pred))


def main() -> None:
    parse_timeout, compare_timeout = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT_BYTES, _MEMORY_LIMIT_BYTES))
    for line in sys.stdin:
        predicted, gold, tolerance, decimals = json.loads(line)
        try:
            answer = equal(predicted, gold, tolerance, decimals, parse_timeout, compare_timeout)
        except BaseException:  # math-verify and sympy raise on inputs they cannot handle, and
            answer = False  # a timeout is raised as BaseException: not equal
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
