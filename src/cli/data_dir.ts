// The data directory: --data-dir, else CARAPACE_DATA_DIR, else ./.carapace (DESIGN.md §11).

export function resolveDataDir(option: string | undefined): string {
  return option ?? process.env.CARAPACE_DATA_DIR ?? '.carapace';
}
