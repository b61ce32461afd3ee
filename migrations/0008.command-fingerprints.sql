-- depends: 0007.retention

-- An idempotency key remembers what was asked, not only which command: a retry with the same
-- key and the same payload replays; the same key with another payload is refused
-- (domain/commands.py fingerprint). Rows written before this column have none and replay as
-- before.
ALTER TABLE backoffice_commands ADD COLUMN fingerprint text;
