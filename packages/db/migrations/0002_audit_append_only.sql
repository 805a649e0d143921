-- The audit log is append-only for every role the application uses: history
-- can be added to, never rewritten. (The table's owner or a superuser can still
-- drop the trigger, and today the app connects as the owner: docs/security.md,
-- gap G1, tracks moving it to a role that may only INSERT and SELECT here.)
CREATE OR REPLACE FUNCTION quarry_audit_events_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION quarry_audit_events_immutable();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION quarry_audit_events_immutable();
