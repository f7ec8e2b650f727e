-- 016_dossier_lists.sql - indexes for keyset pages of the dossier lists (issue 20).
-- Every list order is (key, due_effective, code): the key is the state for a
-- list of one state, or the phase (open = in_progress|paused, else finished)
-- for the list of all states, whose groups are ranges of the phase index.
-- The expression must stay identical to DH_DOSSIER_PHASE (store/dossiers.h);
-- codes compare bytewise (COLLATE "C") as everywhere in the lists.
CREATE INDEX dossiers_phase_due_code ON dossiers(
    (CASE WHEN state IN ('in_progress', 'paused') THEN 0 ELSE 1 END), due_effective,
    code COLLATE "C");
CREATE INDEX dossiers_state_due_code ON dossiers(state, due_effective, code COLLATE "C");
DROP INDEX dossiers_state_due;
