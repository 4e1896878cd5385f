-- Hand-written: what drizzle-kit does not generate. Every statement is safe to re-run.

-- pgvector is required in docker-compose, CI images with it, and production. The embedded dev
-- Postgres ships without it: skip loudly instead of failing, and /readyz reports it unavailable.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector;
  ELSE
    RAISE WARNING 'pgvector is not installed on this server: extension "vector" skipped (embedding features unavailable)';
  END IF;
END
$$;
--> statement-breakpoint

-- Owners bypass RLS unless it is forced; forcing keeps the policy in force for every non-superuser.
ALTER TABLE "tenants" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "user_preferences" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint

-- The role the Worker logs in as: not superuser, not owner, no BYPASSRLS. Its password is set by
-- the migrate command from APP_DATABASE_PASSWORD, never stored here.
-- Roles are server-wide: another database's migration may create it at the same moment.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meatymusic_app') THEN
    CREATE ROLE meatymusic_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION;
  END IF;
EXCEPTION WHEN duplicate_object THEN
  NULL;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO meatymusic_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "tenants", "users", "user_preferences" TO meatymusic_app;
