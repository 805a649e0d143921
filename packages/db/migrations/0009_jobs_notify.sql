-- A job that becomes due now (enqueued, or handed back to the queue) sends NOTIFY quarry_jobs, delivered
-- when its transaction commits: a separate `quarry worker` LISTENs and claims at once instead of at its
-- next poll (the poll stays as the fallback). Notices with the same payload in one transaction are
-- folded into one by PostgreSQL, so a batch of enqueues wakes each listener once.
CREATE OR REPLACE FUNCTION quarry_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('quarry_jobs', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER jobs_notify_due
  AFTER INSERT OR UPDATE OF status ON jobs
  FOR EACH ROW WHEN (NEW.status = 'queued' AND NEW.run_at <= now())
  EXECUTE FUNCTION quarry_jobs_notify();
