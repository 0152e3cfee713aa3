-- colstore_fdw 0.1: the handler, the validator and the wrapper (docs/sql.md).
\echo Use "CREATE EXTENSION colstore_fdw" to load this file. \quit

CREATE FUNCTION colstore_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'colstore_fdw_handler'
LANGUAGE C STRICT;

CREATE FUNCTION colstore_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME', 'colstore_fdw_validator'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER colstore_fdw
  HANDLER colstore_fdw_handler
  VALIDATOR colstore_fdw_validator;

-- Diagnostic: the bytes this backend holds allocated with malloc (the engine's memory is
-- malloc'ed; PostgreSQL's own comes in large blocks). The test suite reads it before and after
-- a thousand cancelled queries to prove the engine frees everything on every path.
CREATE FUNCTION colstore_fdw_malloc_in_use()
RETURNS bigint
AS 'MODULE_PATHNAME', 'colstore_fdw_malloc_in_use'
LANGUAGE C STRICT VOLATILE;
