export async function seedDemo(_opts: { ifEmpty: boolean }): Promise<string> {
  return 'no demo data yet';
}
