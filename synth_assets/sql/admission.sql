-- The admission rule for queries, applied with the schema (a macro stored in the store file).
-- synth_assets/verify/admission.py is the same rule for Python; tests/test_admission.py checks
-- that both agree. A verdict admits its record when its score reaches the verifier's min_score
-- (text or number; NULL: the spec sets none), else when the verifier passed it.
CREATE OR REPLACE MACRO verdict_admits(passed, score, min_score) AS
    coalesce(score >= TRY_CAST(min_score AS DOUBLE), passed);
