-- A force's own crime and incident records, read from its records-system extracts through a column mapping
-- (sources/internal.py documents each field). One row per record reference and force: a later extract that
-- carries the same reference replaces the row (outcomes change), so extracts may overlap. Every row carries
-- the lineage of the extract it last came from.
CREATE TABLE internal_incident (
    reference VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    occurred_from TIMESTAMP NOT NULL,
    occurred_to TIMESTAMP,
    offence VARCHAR NOT NULL,
    crime_type VARCHAR NOT NULL,          -- one of the 14 data.police.uk categories
    location_text VARCHAR,
    easting DOUBLE,                       -- British National Grid metres
    northing DOUBLE,
    latitude DOUBLE,                      -- WGS84
    longitude DOUBLE,
    lsoa_code VARCHAR,
    outcome VARCHAR,
    domestic BOOLEAN,
    repeat_victim BOOLEAN,
    force VARCHAR NOT NULL,
    synthetic BOOLEAN NOT NULL,           -- from a SYNTHETIC extract (the mapping says so)
    batch_id BIGINT NOT NULL,             -- ingest_log row of the extract it came from
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL
);

-- The mapping each extract was read through (its canonical JSON's sha256), by ingest_log batch: the same
-- extract read through a changed mapping is new content, and every row's batch_id leads to its mapping.
CREATE TABLE internal_extract_batch (
    batch_id BIGINT PRIMARY KEY,
    mapping_file VARCHAR NOT NULL,
    mapping_sha256 VARCHAR NOT NULL
);
