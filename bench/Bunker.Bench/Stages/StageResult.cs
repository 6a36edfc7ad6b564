namespace Bunker.Bench.Stages;

/// <summary>
/// One stage's median time. <paramref name="ProcessedBytes"/> is what the stage itself consumed
/// (compressed bytes for the pack stage); <paramref name="InputBytes"/> is the raw data those
/// bytes stand for, so that rates "of input" add up along the pipeline: 1/total = sum of 1/rate.
/// </summary>
internal sealed record StageResult(string Name, long ProcessedBytes, long InputBytes, TimeSpan Median, string Note = "");
