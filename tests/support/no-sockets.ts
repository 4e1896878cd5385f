// Stands in for workerd's `cloudflare:sockets` when worker code is imported into Node for contract tests.
// Those tests never reach the database; a connection attempt here is a bug in the test.
export function connect(): never {
  throw new Error('cloudflare:sockets is not available in Node: this test must not open a database connection');
}
