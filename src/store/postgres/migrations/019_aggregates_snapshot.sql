-- 019: the snapshot of the readers' in-memory copy of the service
-- aggregates (issue 20).
--
-- PostgreSQL port of src/store/sqlite/migrations/019_aggregates_snapshot.sql.

CREATE TABLE agg_snap (
    gen  bigint NOT NULL,
    part bigint NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (gen, part)
);
