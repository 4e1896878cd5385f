-- Hand-written: what drizzle-kit does not generate for 0002. Every statement is safe to re-run.
ALTER TABLE "clerk_webhook_deliveries" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "clerk_entity_versions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "clerk_webhook_deliveries", "clerk_entity_versions" TO meatymusic_app;
