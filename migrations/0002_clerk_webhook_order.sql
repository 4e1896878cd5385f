CREATE TABLE "clerk_entity_versions" (
	"tenant_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"event_at" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "clerk_entity_versions_tenant_id_entity_pk" PRIMARY KEY("tenant_id","entity")
);
--> statement-breakpoint
ALTER TABLE "clerk_entity_versions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "clerk_webhook_deliveries" (
	"svix_id" text PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clerk_webhook_deliveries" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE INDEX "clerk_webhook_deliveries_tenant_received_idx" ON "clerk_webhook_deliveries" USING btree ("tenant_id","received_at");--> statement-breakpoint
CREATE POLICY "tenant_isolation_policy" ON "clerk_entity_versions" AS PERMISSIVE FOR ALL TO public USING ("clerk_entity_versions"."tenant_id" = nullif(current_setting('app.current_tenant_id', true), '')::uuid) WITH CHECK ("clerk_entity_versions"."tenant_id" = nullif(current_setting('app.current_tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation_policy" ON "clerk_webhook_deliveries" AS PERMISSIVE FOR ALL TO public USING ("clerk_webhook_deliveries"."tenant_id" = nullif(current_setting('app.current_tenant_id', true), '')::uuid) WITH CHECK ("clerk_webhook_deliveries"."tenant_id" = nullif(current_setting('app.current_tenant_id', true), '')::uuid);