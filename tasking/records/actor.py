"""Who acts: an authenticated account (tasks/accounts.py builds it from the `account` table) or the pipeline.

Domain functions take an `Actor`, never a typed name; the chain records `account_id`."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("analyst", "reviewer", "requester", "chair", "clerk", "admin")
PIPELINE_ID = "pipeline"
"""The account the pipeline drafts as (scheduled runs): it can author, never review, agree or decide."""


@dataclass(frozen=True)
class Actor:
    account_id: str
    username: str
    display_name: str
    roles: frozenset[str] = frozenset()

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_pipeline(self) -> bool:
        return self.account_id == PIPELINE_ID
