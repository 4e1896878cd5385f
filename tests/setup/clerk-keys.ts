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

/** A fresh RS256 key pair per run (RSA-2048, e=65537: the only shape Clerk's jwtKey path accepts). */
export default function setup(project: TestProject) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  project.provide('clerkPublicPem', publicKey.export({ type: 'spki', format: 'pem' }).toString());
  project.provide('clerkPrivateJwk', { ...privateKey.export({ format: 'jwk' }), kid: `ins_test_${randomUUID()}` });
  project.provide('clerkWebhookSecret', `whsec_${randomBytes(32).toString('base64')}`);
}
