"""The tasking and coordination loop as records (docs/tasking-loop.md).

- `tor`: terms of reference, proposed and then agreed by the requester before a profile is built;
- `strategy`: the control strategy, priorities the ST&CG adopted from an approved strategic assessment;
- `meetings`: TT&CG meetings, their decisions, actions and commissions (which propose a ToR);
- `action_change`: each action's measured change in its place and crime types (association, not proof);
- `profiles`: profiles kept up to date, a new version each cycle, until closed with a reason.

Every change goes through `records.change`, which writes the record and appends a hash-chained event (who,
when, what) to the event log in the same transaction; a refused change is logged too.
"""
from tasks.tasking_loop.records import LoopError  # noqa: F401
