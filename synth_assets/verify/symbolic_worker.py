"""Worker process for synth_assets.verify.symbolic: reads [predicted, gold] JSON lines on
stdin and answers each with a JSON true/false line, comparing with math-verify in this
process's main thread (where its SIGALRM timeouts work).

Usage: python -I symbolic_worker.py PARSE_TIMEOUT_S COMPARE_TIMEOUT_S (standalone: it imports
math-verify, not synth_assets)
"""

import json
import sys

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify


def equal(predicted: str, gold: str, parse_timeout: int, compare_timeout: int) -> bool:
    config = [LatexExtractionConfig(), ExprExtractionConfig()]
    parsed_gold = parse(f"${gold}$", extraction_config=config, parsing_timeout=parse_timeout)
    parsed = parse(f"${predicted}$", extraction_config=config, parsing_timeout=parse_timeout)
    if not parsed_gold or not parsed:
        return False
    return bool(verify(parsed_gold, parsed, timeout_seconds=compare_timeout))


def main() -> None:
    parse_timeout, compare_timeout = int(sys.argv[1]), int(sys.argv[2])
    for line in sys.stdin:
        predicted, gold = json.loads(line)
        try:
            answer = equal(predicted, gold, parse_timeout, compare_timeout)
        except Exception:  # math-verify raises on inputs it cannot handle: not equal
            answer = False
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
