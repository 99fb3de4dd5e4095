-- What reading a file changed before it was parsed (sources/files.py), e.g. "decoded from UTF-16" or
-- "3 control characters stripped"; NULL when the file was read exactly as given.
ALTER TABLE ingest_log ADD COLUMN notes VARCHAR;
