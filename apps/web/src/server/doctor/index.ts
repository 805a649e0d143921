/**
 * `quarry doctor [--env docker/.env] [--compose docker/docker-compose.prod.yml] [--online]`
 * — preflight for a VPS before the first `docker compose up`. Reads the .env
 * FILE (never process.env) and the host; prints a ✔/✖/! checklist; exit 1 on any ✖.
 */
export async function runDoctor(argv: string[]): Promise<number> {
  const { doctorMain } = await import('./main.js');
  return doctorMain(argv);
}
