import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Given to the Worker as CLERK_JWT_KEY: what Clerk's dashboard calls the JWT public key. */
    clerkPublicPem: string;
    /** Signs the test's session tokens, standing in for Clerk's private key. */
    clerkPrivateJwk: JsonWebKey & { kid: string };
    /** Given to the Worker as CLERK_WEBHOOK_SECRET; the test signs Svix deliveries with it. */
    clerkWebhookSecret: string;
  }
}

/** A fresh RS256 key pair (RSA-2048, e=65537: the only shape Clerk's jwtKey path accepts). */
export function generateClerkKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid: `ins_test_${randomUUID()}` },
  };
}

/** A key pair per run. */
export default function setup(project: TestProject) {
  const keys = generateClerkKeys();
  project.provide('clerkPublicPem', keys.publicPem);
  project.provide('clerkPrivateJwk', keys.privateJwk);
  project.provide('clerkWebhookSecret', `whsec_${randomBytes(32).toString('base64')}`);
}
