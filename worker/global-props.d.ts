// Types `exports` from "cloudflare:workers" (what tests call) as this Worker's main module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('./index');
  }
}
