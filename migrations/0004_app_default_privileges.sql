-- Hand-written: what drizzle-kit does not generate. Every statement is safe to re-run.

-- Tables and sequences the migrating role creates from now on are reachable by the Worker's role
-- without a GRANT in their migration, so a new table cannot ship unreadable. The privileges are the
-- ones 0001 and 0003 grant by hand (no TRUNCATE, REFERENCES or TRIGGER); a sequence gets USAGE only,
-- what an INSERT needs for a serial default (nextval), not setval. Row visibility still comes from
-- each table's forced RLS policy, which this cannot supply: tests/db/tenant-guards.test.ts checks both.
-- Default privileges belong to the role that creates the objects: the one running migrations.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO meatymusic_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO meatymusic_app;
