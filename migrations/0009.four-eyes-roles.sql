-- depends: 0008.command-fingerprints

-- A role asked for waits for a second admin (domain/staff: RoleGrantRequested → RoleGranted).
ALTER TABLE staff ADD COLUMN pending_roles text[] NOT NULL DEFAULT '{}';
