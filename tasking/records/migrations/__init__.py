"""Alembic revisions of the records store (numbered `versions/NNNN_name.py`, revision id = the number).

HEAD is the newest revision: opening a store whose `alembic_version` already says HEAD skips importing Alembic
(it costs a start-up); a test checks HEAD against the scripts, so adding a revision means updating it here.
"""
HEAD = "0001"
