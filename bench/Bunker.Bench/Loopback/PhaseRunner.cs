using Bunker.Bench.Measurement;

namespace Bunker.Bench.Loopback;

/// <summary>One run of a phase, as the table shows it.</summary>
internal readonly record struct Measured(TimeSpan Elapsed, long Bytes, long ChunksOnWire, long WireBytes);

/// <summary>Runs a phase a few times between resets of both processes' memory peaks, and adds its median row.</summary>
internal sealed class PhaseRunner(int serverPid, TextTable table)
{
    public async Task<List<T>> RunAsync<T>(string name, int iterations, Func<int, Task<(T Run, Measured Figures)>> body)
    {
        GC.Collect();
        ProcessMemory.TryResetPeak(serverPid);
        ProcessMemory.TryResetPeak();
        var runs = new List<T>(iterations);
        var figures = new List<Measured>(iterations);
        for (int i = 0; i < iterations; i++)
        {
            var (run, measured) = await body(i);
            runs.Add(run);
            figures.Add(measured);
            Console.WriteLine($"  {name} #{i + 1}: {Units.Seconds(measured.Elapsed)} s");
        }
        var median = Sampler.MedianBy(figures, f => f.Elapsed);
        table.Add(name, Units.Megabytes(median.Bytes), Units.Seconds(median.Elapsed), Units.Rate(median.Bytes, median.Elapsed),
            median.ChunksOnWire.ToString(), Units.Megabytes(median.WireBytes),
            Units.Mebibytes(ProcessMemory.PeakResident(serverPid)), Units.Mebibytes(ProcessMemory.Resident(serverPid)), Units.Mebibytes(ProcessMemory.PeakResident()));
        return runs;
    }
}
