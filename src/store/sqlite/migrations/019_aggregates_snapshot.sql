-- 019: the snapshot of the readers' in-memory copy of the service
-- aggregates (issue 20; app/aggsnap.c, store/aggs.h). A start or a rebuild
-- loads the copy from these parts, then only the cells changed since,
-- instead of every cell of agg_days. Parts of one generation form one
-- snapshot; the meta counter agg_snap_gen names the complete one. Derived
-- data: deleting every row only makes the next start slower.

CREATE TABLE agg_snap (
    gen  INTEGER NOT NULL,
    part INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (gen, part)
) WITHOUT ROWID;
