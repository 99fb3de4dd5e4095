-- Boundary polygons (ONS LSOA 2011 and 2021, Police Force Areas), reprojected to British National Grid
-- (EPSG:27700) and stored as WKB. One row per (kind, code); a later file replaces the polygons it carries.
CREATE TABLE boundary (
    kind VARCHAR NOT NULL,          -- lsoa11 | lsoa21 | pfa
    code VARCHAR NOT NULL,          -- LSOA11CD / LSOA21CD / PFA23CD
    name VARCHAR,
    force VARCHAR,                  -- pfa only: the data.police.uk force slug (northumbria, city-of-london, ...)
    geometry BLOB NOT NULL,         -- WKB, EPSG:27700 metres
    area_km2 DOUBLE NOT NULL,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    batch_id BIGINT NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, code)
);
