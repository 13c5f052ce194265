-- A version's full-text row is no longer written in the transaction that
-- stores the version: FTS5 writes a transaction's rows out as an index
-- segment at its commit, and merges segments as they pile up, which cost
-- a sixth of a new-content poll's CPU for a search few people run. The
-- versions to index are queued in versions_fts_pending, by trigger, and
-- DB.IndexText adds them in batches (the monitor does every few seconds,
-- and a search does first, so a search never misses a version).
--
-- A queued version has no row in the index yet, and FTS5's 'delete' of a
-- row it does not hold corrupts an external-content index: the delete and
-- update triggers leave queued versions alone.

-- +goose Up
CREATE TABLE versions_fts_pending (
    version_id INTEGER PRIMARY KEY
) STRICT;
-- +goose StatementBegin
CREATE TRIGGER versions_fts_queue AFTER INSERT ON versions BEGIN
    INSERT INTO versions_fts_pending (version_id) VALUES (new.id);
END;
-- +goose StatementEnd
DROP TRIGGER versions_fts_delete;
DROP TRIGGER versions_fts_update;
-- +goose StatementBegin
CREATE TRIGGER versions_fts_delete AFTER DELETE ON versions BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, summary, content)
        SELECT 'delete', old.id, old.title, old.summary, old.content
        WHERE NOT EXISTS (SELECT 1 FROM versions_fts_pending WHERE version_id = old.id);
    DELETE FROM versions_fts_pending WHERE version_id = old.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER versions_fts_update AFTER UPDATE OF title, summary, content ON versions
WHEN NOT EXISTS (SELECT 1 FROM versions_fts_pending WHERE version_id = old.id) BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, summary, content) VALUES ('delete', old.id, old.title, old.summary, old.content);
    INSERT INTO versions_fts (rowid, title, summary, content) VALUES (new.id, new.title, new.summary, new.content);
END;
-- +goose StatementEnd

-- +goose Down
INSERT INTO versions_fts (rowid, title, summary, content)
    SELECT v.id, v.title, v.summary, v.content FROM versions v JOIN versions_fts_pending p ON p.version_id = v.id;
DROP TRIGGER versions_fts_update;
DROP TRIGGER versions_fts_delete;
DROP TRIGGER versions_fts_queue;
DROP TABLE versions_fts_pending;
-- +goose StatementBegin
CREATE TRIGGER versions_fts_delete AFTER DELETE ON versions BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, summary, content) VALUES ('delete', old.id, old.title, old.summary, old.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER versions_fts_update AFTER UPDATE OF title, summary, content ON versions BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, summary, content) VALUES ('delete', old.id, old.title, old.summary, old.content);
    INSERT INTO versions_fts (rowid, title, summary, content) VALUES (new.id, new.title, new.summary, new.content);
END;
-- +goose StatementEnd
