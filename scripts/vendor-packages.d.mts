// Types of scripts/vendor-packages.mjs for the TypeScript tests that import it.
export declare const DEFAULT_OUT: string;
export declare function vendorPackages(options: { from: string; out?: string; names: string[] }): { copied: string[]; bytes: number; out: string };
