-- A version's full-text row is no longer added by a trigger but by the
-- store, in one statement for all the versions a transaction inserts
-- (SaveArticles): FTS5 writes its pending rows out at the start of each
-- later statement of the transaction, so the trigger made an index
-- segment, and merges, for every version (a fifth of a first poll's CPU).
-- The delete and update triggers stay: those are rare.

-- +goose Up
DROP TRIGGER versions_fts_insert;

-- +goose Down
-- +goose StatementBegin
CREATE TRIGGER versions_fts_insert AFTER INSERT ON versions BEGIN
    INSERT INTO versions_fts (rowid, title, summary, content) VALUES (new.id, new.title, new.summary, new.content);
END;
-- +goose StatementEnd
