"""The records store: people's records (accounts, the product registry and reviews, the tasking loop) in a
database made for many small writers, every table a projection of a hash chain (docs/records.md).

    store = open_store(records_url(warehouse_file=path))
    with store.write("tasking-loop:tor", actor.account_id) as w:
        w.insert("terms_of_reference", {...}, action="proposed")
    problems = verify(store)
"""
from tasking.records.actor import PIPELINE_ID, ROLES, Actor
from tasking.records.store import (RecordsError, RecordsStore, display_url, forget_open_stores, open_store,
                                  records_url, sqlite_file, store_for)
from tasking.records.verify import verify
from tasking.records.writer import RecordWriteError, Writer

__all__ = ["Actor", "PIPELINE_ID", "ROLES", "RecordsError", "RecordsStore", "RecordWriteError", "Writer",
           "display_url", "forget_open_stores", "open_store", "records_url", "sqlite_file", "store_for", "verify"]
