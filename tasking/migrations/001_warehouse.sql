-- Published data.police.uk rows, one table per kind. Column names are the published headers in snake_case;
-- every row carries its lineage (force slug, file, file hash, load time).
CREATE TABLE street_crime (
    crime_id VARCHAR,
    month DATE NOT NULL,
    reported_by VARCHAR,
    falls_within VARCHAR,
    longitude DOUBLE,
    latitude DOUBLE,
    location VARCHAR,
    lsoa_code VARCHAR,
    lsoa_name VARCHAR,
    crime_type VARCHAR,
    last_outcome_category VARCHAR,
    context VARCHAR,
    force VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE outcome (
    crime_id VARCHAR,
    month DATE NOT NULL,
    reported_by VARCHAR,
    falls_within VARCHAR,
    longitude DOUBLE,
    latitude DOUBLE,
    location VARCHAR,
    lsoa_code VARCHAR,
    lsoa_name VARCHAR,
    outcome_type VARCHAR,
    force VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE stop_search (
    type VARCHAR,
    date TIMESTAMPTZ,
    part_of_a_policing_operation BOOLEAN,
    policing_operation VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    gender VARCHAR,
    age_range VARCHAR,
    self_defined_ethnicity VARCHAR,
    officer_defined_ethnicity VARCHAR,
    legislation VARCHAR,
    object_of_search VARCHAR,
    outcome VARCHAR,
    outcome_linked_to_object_of_search BOOLEAN,
    removal_of_more_than_just_outer_clothing BOOLEAN,
    month DATE NOT NULL,  -- the month of the file the row was published in
    force VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL
);

-- IoD 2019 (Files 1, 2 and 6) by 2011 LSOA: one row per LSOA, columns filled by whichever files were loaded.
CREATE TABLE lsoa (
    lsoa11_code VARCHAR PRIMARY KEY,
    lsoa11_name VARCHAR,
    lad19_code VARCHAR,
    lad19_name VARCHAR,
    imd_rank INTEGER,
    imd_decile INTEGER,
    income_rank INTEGER,
    income_decile INTEGER,
    employment_rank INTEGER,
    employment_decile INTEGER,
    education_rank INTEGER,
    education_decile INTEGER,
    health_rank INTEGER,
    health_decile INTEGER,
    crime_rank INTEGER,
    crime_decile INTEGER,
    housing_rank INTEGER,
    housing_decile INTEGER,
    living_environment_rank INTEGER,
    living_environment_decile INTEGER,
    population_total INTEGER,
    population_0_15 INTEGER,
    population_16_59 INTEGER,
    population_60_plus INTEGER,
    population_working_age INTEGER
);

-- LSOA 2011 -> 2021 lookup with Census 2021 persons.
CREATE TABLE lsoa_lookup (
    lsoa11_code VARCHAR NOT NULL,
    lsoa21_code VARCHAR NOT NULL,
    link_code VARCHAR,
    persons_2021 INTEGER,
    lsoa11_denominator INTEGER,
    lsoa21_denominator INTEGER,
    prop_11_of_21 DOUBLE,
    prop_21_of_11 DOUBLE,
    category VARCHAR,
    PRIMARY KEY (lsoa11_code, lsoa21_code)
);

-- One row per file (or zip member) offered to ingest, whatever happened to it.
CREATE SEQUENCE ingest_log_id;
CREATE TABLE ingest_log (
    batch_id BIGINT PRIMARY KEY DEFAULT nextval('ingest_log_id'),
    path VARCHAR NOT NULL,
    sha256 VARCHAR,
    kind VARCHAR,
    force VARCHAR,
    month DATE,
    rows BIGINT,
    status VARCHAR NOT NULL,      -- loaded | replaced | unchanged | failed | quarantined
    error VARCHAR,
    rows_added BIGINT,            -- against the version it replaced
    rows_removed BIGINT,
    outcomes_changed BIGINT,      -- street: crimes whose last outcome category changed
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    seconds DOUBLE
);
