import { MIGRATIONS_FOLDER } from '../db/migrate';
import { checkMigrationsFolder, describeFinding } from '../db/migration-safety';

// `npm run migrations:check`: the migration safety check alone (deploy:check and migrate run it too).
const findings = checkMigrationsFolder(MIGRATIONS_FOLDER);
for (const finding of findings) console.error(describeFinding(finding));
if (findings.length) process.exit(1);
console.log('migrations: no destructive statement without a reviewed marker, no pgvector outside its guard');
