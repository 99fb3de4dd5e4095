-- The tasking and coordination loop (docs/tasking-loop.md): terms of reference, the control strategy adopted by
-- the ST&CG, TT&CG meetings with their decisions and actions, and profiles kept up to date until closed.
-- These tables hold the current state of each record; every change to them is also appended, with who and
-- when, to the hash-chained event_log (tasking/chain.py), which is the record of how each state came about.

CREATE TABLE terms_of_reference (
    tor_id VARCHAR PRIMARY KEY,           -- ToR-0001
    force VARCHAR NOT NULL,
    product_kind VARCHAR NOT NULL,        -- problem_profile | subject_profile
    title VARCHAR NOT NULL,
    requester VARCHAR NOT NULL,           -- who asked for the product; the only person who can agree the ToR
    author VARCHAR NOT NULL,              -- who develops it
    area VARCHAR,                         -- the Scope's area text (lsoa:, la:, bbox:, wkt:); NULL = whole force
    crime_types_json VARCHAR NOT NULL,    -- JSON list of data.police.uk crime types; [] = all crime
    nominal_id VARCHAR,                   -- subject profiles: the nominal in the subject store
    period_from DATE NOT NULL,
    period_to DATE,                       -- NULL: up to the latest month held, moving forward with each re-draft
    questions_json VARCHAR NOT NULL,      -- JSON list of the questions the product must answer
    deadline DATE,
    marking VARCHAR NOT NULL,
    status VARCHAR NOT NULL,              -- proposed | agreed | withdrawn
    commissioned_by VARCHAR,              -- the meeting that commissioned it, if any
    proposed_by VARCHAR NOT NULL,
    proposed_at TIMESTAMPTZ NOT NULL,
    agreed_by VARCHAR,
    agreed_at TIMESTAMPTZ
);

-- The control strategy: priorities the ST&CG adopted from an approved strategic assessment, each with the
-- intelligence requirement it sets.
CREATE TABLE control_priority (
    priority_id VARCHAR PRIMARY KEY,      -- CS-0001
    force VARCHAR NOT NULL,
    strategic_version_id VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    crime_types_json VARCHAR NOT NULL,
    area VARCHAR,                         -- the Scope's area text; NULL = whole force
    intelligence_requirement VARCHAR NOT NULL,
    status VARCHAR NOT NULL,              -- adopted | retired
    adopted_by VARCHAR NOT NULL,
    adopted_at TIMESTAMPTZ NOT NULL,
    retired_by VARCHAR,
    retired_at TIMESTAMPTZ,
    retired_reason VARCHAR
);

CREATE TABLE tasking_meeting (
    meeting_id VARCHAR PRIMARY KEY,       -- MTG-0001
    force VARCHAR NOT NULL,
    held_on DATE NOT NULL,
    chair VARCHAR NOT NULL,
    tactical_version_id VARCHAR,          -- the tactical assessment version the meeting took
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE meeting_decision (
    meeting_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    decision VARCHAR NOT NULL,
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (meeting_id, seq)
);

CREATE TABLE tasking_action (
    action_id VARCHAR PRIMARY KEY,        -- ACT-0001
    meeting_id VARCHAR NOT NULL,
    force VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    due_on DATE NOT NULL,
    started_on DATE NOT NULL,             -- measured change compares months before this with months from it
    area VARCHAR,                         -- the targeted place as the Scope's area text; NULL = whole force
    crime_types_json VARCHAR NOT NULL,
    status VARCHAR NOT NULL,              -- open | in_progress | done | cancelled
    status_note VARCHAR,
    updated_by VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- A profile kept up to date: one row per commissioned profile, its versions (each a registry product version)
-- and how it ended. A closed profile is kept and findable, and never re-drafted again.
CREATE TABLE profile_record (
    profile_id VARCHAR PRIMARY KEY,       -- PRF-0001
    tor_id VARCHAR NOT NULL UNIQUE,
    force VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,                -- problem_profile | subject_profile
    status VARCHAR NOT NULL,              -- open | closed
    opened_at TIMESTAMPTZ NOT NULL,
    close_reason VARCHAR,                 -- resolved | apprehended | protected | withdrawn
    close_note VARCHAR,
    closed_by VARCHAR,
    closed_at TIMESTAMPTZ
);

CREATE TABLE profile_record_version (
    profile_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    version_id VARCHAR NOT NULL,          -- the registry's product_version.version_id
    period_from DATE,
    period_to DATE,
    key_figures_json VARCHAR,
    changes_json VARCHAR NOT NULL,        -- what changed since the previous version (JSON list of sentences)
    drafted_by VARCHAR NOT NULL,
    drafted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (profile_id, version)
);
