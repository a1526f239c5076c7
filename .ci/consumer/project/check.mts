// TypeScript strict, ESM: the same import from an ES module.
import { safeWriteJson, safeReadJson } from 'safe-write-json'

export async function main(file: string): Promise<number> {
  const written: Promise<void> = safeWriteJson(file, { count: 1 }, { indent: 2, durability: 'full' })
  await written
  const read = await safeReadJson<{ count: number }>(file)
  // @ts-expect-error the path must be a string or a URL: the types are real, not `any`
  await safeWriteJson(42, {})
  return read.count
}
