/** Node's, Bun's and Deno's CPU names → Go's, the names image platforms use. */
export function goArch(arch: string): string {
  const names: Record<string, string> = { x64: "amd64", x86_64: "amd64", aarch64: "arm64", ia32: "386", ppc64: "ppc64le" };
  return names[arch] ?? arch;
}
