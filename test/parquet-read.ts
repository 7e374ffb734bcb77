/** Reading the lake's Parquet back in tests (hyparquet, with fflate for the GZIP pages). */
import { gunzipSync } from "fflate";
import { parquetReadObjects } from "hyparquet";

export const compressors = { GZIP: (input: Uint8Array) => gunzipSync(input) };

export async function readParquet(file: ArrayBuffer): Promise<Record<string, any>[]> {
  return (await parquetReadObjects({ file, compressors })) as Record<string, any>[];
}
