using System.Globalization;
using Spectre.Console;

namespace Bunker.Client.Output;

/// <summary>Where a long operation stands; a total of -1 means not known (yet).</summary>
public sealed record ProgressFigures(long BytesDone, long BytesTotal, long FilesDone, long FilesTotal);

/// <summary>
/// A progress bar for long operations (bytes, files, rate, ETA), drawn on stderr with Spectre.Console
/// so that stdout stays clean for ids and JSON. Drawn only when asked: the caller decides that
/// stderr is a terminal and machine output is off.
/// </summary>
public static class ProgressDisplay
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Runs <paramref name="work"/>; while it runs, and <paramref name="enabled"/>, shows <paramref name="poll"/>'s figures.</summary>
    public static async Task<T> RunAsync<T>(bool enabled, string description, Func<ProgressFigures> poll, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(poll);
        ArgumentNullException.ThrowIfNull(work);
        if (!enabled) return await work().ConfigureAwait(false);

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes,
        });
        return await console.Progress()
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(description, autoStart: true);
                var running = work();
                while (!running.IsCompleted)
                {
                    Show(task, description, poll());
                    await Task.WhenAny(running, Task.Delay(RefreshInterval)).ConfigureAwait(false);
                }
                Show(task, description, poll());
                if (running.IsCompletedSuccessfully) task.StopTask();
                return await running.ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    private static void Show(ProgressTask task, string description, ProgressFigures figures)
    {
        // Until the total is known (a scan still counting), the bar cannot say how far along it is.
        task.IsIndeterminate = figures.BytesTotal < 0;
        task.MaxValue = Math.Max(1, Math.Max(figures.BytesTotal, figures.BytesDone));
        task.Value = figures.BytesDone;
        var files = figures.FilesTotal >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"{figures.FilesDone}/{figures.FilesTotal} files")
            : string.Create(CultureInfo.InvariantCulture, $"{figures.FilesDone} files");
        task.Description = $"{description} {Markup.Escape(files)}";
    }
}
