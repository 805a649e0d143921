/** Placeholder until the checks land (same session). */
export async function doctorMain(_argv: string[]): Promise<number> {
  console.error('quarry doctor: not implemented yet');
  return 2;
}
