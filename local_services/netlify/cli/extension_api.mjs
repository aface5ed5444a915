// Loaded into netlify-cli with NODE_OPTIONS="--import <this file>" by the contract test (and by
// anyone running the CLI against the emulator offline). @netlify/config asks Netlify's extension
// API (https://api.netlifysdk.com, fixed in its code) which extensions a site has before it reads
// any variable, and falls back to offline resolution (no variables at all) when that fails. This
// sends those requests to the emulator's stand-in, $NETLIFY_EMULATOR_EXTENSION_API.
const EXTENSION_API = "https://api.netlifysdk.com/";
const target = process.env.NETLIFY_EMULATOR_EXTENSION_API;
if (target) {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(EXTENSION_API)) {
      const moved = target.replace(/\/?$/, "/") + url.slice(EXTENSION_API.length);
      return original(moved, typeof input === "object" && !(input instanceof URL) ? { ...init, headers: input.headers } : init);
    }
    return original(input, init);
  };
}
