-- articles_source (migration 9, for the review's outlet filter) repeats
-- what the indexes on (source, guid) and (source, url_norm) already give
-- a lookup by source, and cost every new article one more index write.

-- +goose Up
DROP INDEX articles_source;

-- +goose Down
CREATE INDEX articles_source ON articles (source);
