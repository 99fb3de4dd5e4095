"""The records store's tables (SQLAlchemy Core), mirroring the Alembic revisions in `migrations/versions/`.

Queries use these objects; the revisions create them (a test compares the two, so they cannot drift). Every
table except `store_identity`, `event`, `chain_head` and `web_session` is a projection of the hash chain:
`PROJECTED` names the one stream allowed to write each (docs/records.md, "Tables").
"""
from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()


def _when(name: str, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


store_identity = Table(
    "store_identity", metadata,
    Column("instance_id", String(64), primary_key=True),
    _when("created_at"),
)

event = Table(
    "event", metadata,
    Column("stream", String(100), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    _when("event_at"),
    Column("actor", String(100), nullable=False),      # an account id
    Column("os_user", String(100), nullable=False),    # the real uid's account name
    Column("payload_json", Text, nullable=False),      # canonical JSON: op, table, key, row (whole image), action, detail
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

chain_head = Table(
    "chain_head", metadata,
    Column("stream", String(100), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

account = Table(
    "account", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("username_key", String(200), nullable=False, unique=True),       # NFKC + casefold
    Column("username_skeleton", String(400), nullable=False, unique=True),  # confusables skeleton of the key
    Column("display_name", String(200), nullable=False),
    Column("display_skeleton", String(800), nullable=False),
    Column("password_hash", String(400)),                                   # argon2/bcrypt; NULL: single sign-on only
    Column("os_user", String(100), unique=True),                            # the OS account the CLI maps to it
    Column("oidc_issuer", String(400)),
    Column("oidc_subject", String(400)),
    Column("disabled", Boolean, nullable=False),
    _when("created_at"),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_account_oidc"),
)

account_role = Table(
    "account_role", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("role", String(30), primary_key=True),
    Column("granted_by", String(64), nullable=False),
    _when("granted_at"),
)

web_session = Table(
    "web_session", metadata,
    Column("session_id", String(64), primary_key=True),   # sha256 of the cookie's token: the token is never stored
    Column("account_id", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    _when("created_at"),
    _when("expires_at"),
    _when("last_seen_at"),
    _when("revoked_at", nullable=True),
)

product = Table(
    "product", metadata,
    Column("product_id", String(200), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("force", String(100), nullable=False),
    Column("scope_key", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("requested_by", Text),
    Column("terms_of_reference", Text),
    _when("created_at"),
)

product_version = Table(
    "product_version", metadata,
    Column("version_id", String(220), primary_key=True),
    Column("product_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),          # DRAFT | APPROVED | REJECTED
    Column("marking", String(40), nullable=False),
    Column("author", String(64), nullable=False),           # account id
    Column("period_start", Date),
    Column("period_end", Date),
    Column("store_path", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("manifest_json", Text, nullable=False),
    Column("key_figures_json", Text),
    _when("created_at"),
    _when("decided_at", nullable=True),
    Column("decided_by", String(64)),                       # account id
    UniqueConstraint("product_id", "version", name="uq_product_version"),
)

terms_of_reference = Table(
    "terms_of_reference", metadata,
    Column("tor_id", String(20), primary_key=True),
    Column("force", String(100), nullable=False),
    Column("product_kind", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("requester", String(64), nullable=False),        # account id: the only account that can agree it
    Column("author", String(64), nullable=False),           # account id
    Column("area", Text),
    Column("crime_types_json", Text, nullable=False),
    Column("nominal_id", String(100)),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date),
    Column("questions_json", Text, nullable=False),
    Column("deadline", Date),
    Column("marking", String(40), nullable=False),
    Column("status", String(20), nullable=False),           # proposed | agreed | withdrawn
    Column("commissioned_by", String(20)),                  # meeting id
    Column("proposed_by", String(64), nullable=False),
    _when("proposed_at"),
    Column("agreed_by", String(64)),
    _when("agreed_at", nullable=True),
)

control_priority = Table(
    "control_priority", metadata,
    Column("priority_id", String(20), primary_key=True),
    Column("force", String(100), nullable=False),
    Column("strategic_version_id", String(220), nullable=False),
    Column("label", Text, nullable=False),
    Column("crime_types_json", Text, nullable=False),
    Column("area", Text),
    Column("intelligence_requirement", Text, nullable=False),
    Column("status", String(20), nullable=False),           # adopted | retired
    Column("adopted_by", String(64), nullable=False),
    _when("adopted_at"),
    Column("retired_by", String(64)),
    _when("retired_at", nullable=True),
    Column("retired_reason", Text),
)

tasking_meeting = Table(
    "tasking_meeting", metadata,
    Column("meeting_id", String(20), primary_key=True),
    Column("force", String(100), nullable=False),
    Column("held_on", Date, nullable=False),
    Column("chair", String(64), nullable=False),            # account id
    Column("tactical_version_id", String(220)),
    Column("recorded_by", String(64), nullable=False),
    _when("recorded_at"),
)

meeting_decision = Table(
    "meeting_decision", metadata,
    Column("meeting_id", String(20), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("decision", Text, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    _when("recorded_at"),
)

tasking_action = Table(
    "tasking_action", metadata,
    Column("action_id", String(20), primary_key=True),
    Column("meeting_id", String(20), nullable=False),
    Column("force", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("owner", Text, nullable=False),                  # free text: the team or officer who does it
    Column("due_on", Date, nullable=False),
    Column("started_on", Date, nullable=False),
    Column("area", Text),
    Column("crime_types_json", Text, nullable=False),
    Column("status", String(20), nullable=False),           # open | in_progress | done | cancelled
    Column("status_note", Text),
    Column("updated_by", String(64), nullable=False),
    _when("updated_at"),
)

profile_record = Table(
    "profile_record", metadata,
    Column("profile_id", String(20), primary_key=True),
    Column("tor_id", String(20), nullable=False, unique=True),
    Column("force", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False),           # open | closed
    _when("opened_at"),
    Column("close_reason", String(40)),
    Column("close_note", Text),
    Column("closed_by", String(64)),
    _when("closed_at", nullable=True),
)

profile_record_version = Table(
    "profile_record_version", metadata,
    Column("profile_id", String(20), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("version_id", String(220), nullable=False),
    Column("period_from", Date),
    Column("period_to", Date),
    Column("key_figures_json", Text),
    Column("changes_json", Text, nullable=False),
    Column("drafted_by", String(64), nullable=False),
    _when("drafted_at"),
)

# Each projected table and the one stream that may write it (tasking.records.Writer refuses any other).
PROJECTED: dict[str, str] = {
    "account": "accounts",
    "account_role": "accounts",
    "product": "review",
    "product_version": "review",
    "terms_of_reference": "tasking-loop:tor",
    "control_priority": "tasking-loop:strategy",
    "tasking_meeting": "tasking-loop:meeting",
    "meeting_decision": "tasking-loop:meeting",
    "tasking_action": "tasking-loop:action",
    "profile_record": "tasking-loop:profile",
    "profile_record_version": "tasking-loop:profile",
}


def table(name: str) -> Table:
    """The projected table `name`; a name outside PROJECTED is refused (only projections are written by events)."""
    if name not in PROJECTED:
        raise KeyError(f"{name!r} is not a table the records store writes through its chain")
    return metadata.tables[name]
