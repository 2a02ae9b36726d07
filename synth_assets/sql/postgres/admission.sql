-- The admission rule for queries, PostgreSQL dialect of sql/admission.sql (read it there):
-- a verdict admits its record when its score reaches the verifier's min_score (text or number;
-- NULL: the spec sets none), else when the verifier passed it. PostgreSQL has no TRY_CAST, so
-- a min_score given as text that is not a number counts as none, as in DuckDB.
CREATE OR REPLACE FUNCTION synth_try_double(value TEXT) RETURNS DOUBLE PRECISION
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::DOUBLE PRECISION;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION verdict_admits(passed BOOLEAN, score DOUBLE PRECISION,
                                          min_score TEXT) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(score >= synth_try_double(min_score), passed) $$;

CREATE OR REPLACE FUNCTION verdict_admits(passed BOOLEAN, score DOUBLE PRECISION,
                                          min_score DOUBLE PRECISION) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(score >= min_score, passed) $$;
