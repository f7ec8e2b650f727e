-- 020_dossier_unit_lists.sql - the lists of a small subtree (issue 20): each
-- unit's rows of a state read in the lists' order (due_effective, code) from
-- a cursor, a few units' ranges merged (store/dsegs.c), instead of a walk
-- through the whole province's range testing the unit of every row.
DROP INDEX dossiers_unit_state;
CREATE INDEX dossiers_unit_state ON dossiers(unit, state, due_effective, code);
