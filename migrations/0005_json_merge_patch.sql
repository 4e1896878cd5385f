-- Hand-written: RFC 7396 JSON merge patch, applied by the statement that writes the document, so a
-- PATCH is one statement (no read-modify-write round trip, no row lock held across one). A null in
-- the patch removes the key; an object merges into the object under its key; anything else replaces.
-- IMMUTABLE and free of table access: it sees only its arguments, so RLS is not in question. Safe to re-run.
CREATE OR REPLACE FUNCTION json_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  merged jsonb;
  item record;
BEGIN
  IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
    RETURN patch;
  END IF;
  merged := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
  FOR item IN SELECT key, value FROM jsonb_each(patch) LOOP
    IF jsonb_typeof(item.value) = 'null' THEN
      merged := merged - item.key;
    ELSE
      merged := jsonb_set(merged, ARRAY[item.key], json_merge_patch(merged -> item.key, item.value));
    END IF;
  END LOOP;
  RETURN merged;
END
$$;
