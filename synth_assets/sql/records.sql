-- What a trained model sees of a synthetic record, for queries; applied with the schema (macros
-- stored in the store file). synth_assets/recipes/records.py is the same rule for Python
-- (user_turn, training_pair); tests/test_user_turn.py checks that both agree.

-- The record's user turn: its rendered `instruction`, else (a record stored before recipes had
-- records) its seed's task, the payload field task_fields names for the seed's kind.
CREATE OR REPLACE MACRO user_turn(record_fields, seed_payload, task_field) AS
    coalesce(json_extract_string(record_fields, '$.instruction'),
             json_extract_string(seed_payload, '$.' || task_field));

-- The record's response: its rendered `response`, else the raw answer.
CREATE OR REPLACE MACRO record_response(record_fields, answer) AS
    coalesce(json_extract_string(record_fields, '$.response'), answer);
