// The part of npm `webgpu` (Dawn for Node) run.ts uses. The package is not a dependency of the
// project: prepare.sh fetches it for the benchmark bundle only (it carries a 19 MB native module).
declare module 'webgpu' {
  interface AdapterInfo {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
  }
  interface DawnGPU {
    requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<{ info: AdapterInfo } | null>;
  }
  /** Dawn's GPU object; `flags` are Dawn options such as 'backend=vulkan'. */
  export function create(flags: string[]): DawnGPU;
  /** GPUBufferUsage, GPUShaderStage and the other WebGPU globals, to put on globalThis. */
  export const globals: Record<string, unknown>;
}
