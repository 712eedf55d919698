/** Patchling's version, as package.json says (a test keeps them equal); SARIF names it. */
export const PATCHLING_VERSION = '0.1.0';
