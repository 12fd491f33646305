-- Each write that queues a repository moves its row's generation; a derivation takes the row
-- off the queue at its end only if the generation it started from is still there. So, on
-- PostgreSQL, a derivation no longer locks the row from its start: a delivery to a repository
-- being derived queues it again at once (and it is derived again) instead of waiting for the
-- whole derivation.
ALTER TABLE derivation_queue ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
