-- Intelligence products: what was asked for (product), each draft rendered for it (product_version), and every
-- review decision or integrity finding about a version (review_event). Files live in the product store on disk;
-- the warehouse holds their hashes so a changed file is detected.
CREATE TABLE product (
    product_id VARCHAR PRIMARY KEY,       -- e.g. TA-northumbria-2022-09-1a2b3c
    kind VARCHAR NOT NULL,                -- tactical | strategic | problem_profile
    force VARCHAR NOT NULL,
    scope_key VARCHAR NOT NULL UNIQUE,    -- canonical JSON of the scope: the same scope is the same product
    title VARCHAR NOT NULL,
    requested_by VARCHAR,
    terms_of_reference VARCHAR,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE product_version (
    version_id VARCHAR PRIMARY KEY,       -- <product_id>-v<version>
    product_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    status VARCHAR NOT NULL,              -- DRAFT | APPROVED | REJECTED
    marking VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    period_start DATE,
    period_end DATE,
    store_path VARCHAR NOT NULL,          -- folder holding this version's files
    content_sha256 VARCHAR NOT NULL,      -- sha256 of the manifest (each file's path and sha256)
    manifest_json VARCHAR NOT NULL,
    key_figures_json VARCHAR,             -- what the next product compares itself against
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by VARCHAR,
    UNIQUE (product_id, version)
);

CREATE SEQUENCE review_event_id;
CREATE TABLE review_event (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('review_event_id'),
    version_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,              -- drafted | approved | rejected | integrity_failed | refused
    from_status VARCHAR,
    to_status VARCHAR,
    actor VARCHAR NOT NULL,
    comment VARCHAR,
    event_at TIMESTAMPTZ NOT NULL
);
