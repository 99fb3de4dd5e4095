-- Append-only, hash-chained event streams (tasking/chain.py). Each row carries the hash of the row before it in
-- the same stream, so an edited, deleted or reordered row breaks the chain; event_chain_head records the last
-- (seq, hash) of each stream in the same transaction, so deleting the newest rows is detected too.
CREATE TABLE event_log (
    stream VARCHAR NOT NULL,              -- e.g. review, subjects-access, meeting
    seq BIGINT NOT NULL,                  -- 1, 2, 3 ... within the stream
    event_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,               -- who the command says acted (a reviewer, an analyst)
    os_user VARCHAR NOT NULL,             -- who the operating system says ran the command
    payload_json VARCHAR NOT NULL,        -- canonical JSON (sorted keys)
    prev_hash VARCHAR NOT NULL,           -- hash of the previous row of the stream ('' for the first)
    hash VARCHAR NOT NULL,                -- sha256 over every column above
    PRIMARY KEY (stream, seq)
);

CREATE TABLE event_chain_head (
    stream VARCHAR PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash VARCHAR NOT NULL
);
