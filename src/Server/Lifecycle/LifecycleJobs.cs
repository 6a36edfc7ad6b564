using System.Globalization;
using Bunker.Server.Hosting;
using Bunker.Storage.Stores;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StorageRepository = Bunker.Storage.Repository;

namespace Bunker.Server.Lifecycle;

/// <summary>
/// What bunkerd does to each repository by its stored policy, on its own: retention (then garbage collection, when the
/// policy prunes) every <c>retention_every_hours</c>, and a check every <c>check_every_hours</c> reading a subset of the
/// packs (an N/M subset turns through its groups run by run). When each last ran, and what it found, is kept in the
/// repository's store beside the policy, so a restart neither repeats a job nor forgets one that is due. A failure is
/// logged and recorded and tried again at the next look; it never stops the daemon or the other repositories.
/// </summary>
public sealed class LifecycleJobs : BackgroundService
{
    private readonly RepositoryHost _host;
    private readonly RepositoryMaintenance _maintenance;
    private readonly BunkerdOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _passLock = new(1, 1);

    public LifecycleJobs(RepositoryHost host, RepositoryMaintenance maintenance, BunkerdOptions options, ILogger<LifecycleJobs> logger)
    {
        _host = host;
        _maintenance = maintenance;
        _options = options;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(_options.LifecycleSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
                await RunDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Lifecycle jobs failed; they run again at the next interval");
            }
        }
    }

    /// <summary>Runs every job that is due in every repository (the timer calls it; so may a test).</summary>
    public async Task RunDueAsync(CancellationToken cancellationToken)
    {
        await _passLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (record, repository) in await _host.OpenAllAsync(cancellationToken).ConfigureAwait(false))
            {
                string name = record.Tenant + "/" + record.Name;
                try
                {
                    await RunDueAsync(name, repository, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or InvalidDataException or StoreException or ArgumentException or InvalidOperationException
                                           && !cancellationToken.IsCancellationRequested)
                {
                    _logger.LogWarning("Repository {Repository}: its policy cannot be read or applied: {Error}", name, e.Message);
                }
            }
        }
        finally
        {
            _passLock.Release();
        }
    }

    private async Task RunDueAsync(string name, StorageRepository repository, CancellationToken cancellationToken)
    {
        var policy = await _maintenance.PolicyAsync(repository, cancellationToken).ConfigureAwait(false);
        if (policy.Retention is null && policy.CheckEveryHours <= 0) return;
        var state = await _maintenance.StateAsync(repository, cancellationToken).ConfigureAwait(false);
        long now = _options.Clock.GetUtcNow().ToUnixTimeSeconds();

        if (policy.Retention is { } retention && Due(state.RetentionUnix, policy.RetentionEveryHours, now))
        {
            string outcome;
            try
            {
                var forget = await _maintenance.ForgetAsync(repository, RetentionPolicies.ToRules(retention), new ForgetScope(), dryRun: false,
                    bySnapshotTime: false, cancellationToken).ConfigureAwait(false);
                outcome = string.Create(CultureInfo.InvariantCulture, $"{forget.Removed} snapshot(s) and {forget.Wal.Count} WAL file(s) removed");
                if (policy.Prune)
                {
                    var gc = await _maintenance.CollectGarbageAsync(repository, dryRun: false, policy.RepackBelow > 0 ? policy.RepackBelow : null, null,
                        cancellationToken).ConfigureAwait(false);
                    outcome += string.Create(CultureInfo.InvariantCulture, $"; gc reclaimed {gc.BytesReclaimed} bytes ({gc.PacksDeleted} pack(s) deleted, {gc.PacksCondemned} condemned)");
                    await _maintenance.UpdateStateAsync(repository, s => { s.GcUnix = now; s.GcOutcome = outcome; }, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (RetentionRefusedException e)
            {
                outcome = "refused: " + e.Message;
                _logger.LogWarning("Repository {Repository}: scheduled retention refused: {Reason}", name, e.Message);
            }
            _logger.LogInformation("Repository {Repository}: scheduled retention: {Outcome}", name, outcome);
            await _maintenance.UpdateStateAsync(repository, s => { s.RetentionUnix = now; s.RetentionOutcome = outcome; }, cancellationToken).ConfigureAwait(false);
        }

        if (Due(state.CheckUnix, policy.CheckEveryHours, now))
        {
            string subset = ReadDataSubset.Rotate(policy.CheckReadDataSubset, state.CheckRuns);
            var report = await _maintenance.CheckAsync(repository, readData: subset.Length > 0, subset, cancellationToken).ConfigureAwait(false);
            string outcome = string.Create(CultureInfo.InvariantCulture,
                $"{(report.IsHealthy ? "healthy" : "DAMAGE")}: {report.PacksRead} pack(s) read{(subset.Length > 0 ? $" (subset {subset})" : "")}, {report.ChunksVerified} chunk(s) verified, " +
                $"{report.MissingPacks.Count} pack(s) missing, {report.Chunks.Count} chunk(s) damaged or missing");
            if (report.IsHealthy) _logger.LogInformation("Repository {Repository}: scheduled check: {Outcome}", name, outcome);
            else _logger.LogError("Repository {Repository}: scheduled check: {Outcome}; run 'bunker check' for the snapshots and files affected", name, outcome);
            await _maintenance.UpdateStateAsync(repository, s =>
            {
                s.CheckUnix = now;
                s.CheckHealthy = report.IsHealthy;
                s.CheckOutcome = outcome;
                s.CheckRuns++;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool Due(long lastUnix, double everyHours, long nowUnix) =>
        everyHours > 0 && (lastUnix == 0 || nowUnix - lastUnix >= (long)(everyHours * 3600));
}
