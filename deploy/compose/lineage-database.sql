-- Run by the postgres image on its first start (an empty volume): the lineage store's own
-- database beside Dagster's. A volume made before this file existed needs it once, by hand:
--   docker compose exec postgres createdb -U dagster synth
CREATE DATABASE synth;
