using Bunker.Protocol.V1;
using Bunker.Server.Lifecycle;

namespace Bunker.Server.Tests.Lifecycle;

/// <summary>Which archived WAL no remaining base backup needs, worked by hand from segment names.</summary>
public sealed class WalRetentionTests
{
    private const string System = "7300000000000000001";

    private static SnapshotManifestRef Backup(string id, string startLsn, string segmentSize = "16777216", string host = "db1", string system = System)
    {
        var manifest = new SnapshotManifest { Host = host, SourceKind = WalRetention.BaseBackupKind, SourceId = system };
        manifest.Labels["pg.start_lsn"] = startLsn;
        manifest.Labels["pg.wal_segment_size"] = segmentSize;
        return new SnapshotManifestRef(id.PadRight(64, '0'), manifest);
    }

    private static SnapshotManifestRef Wal(string name, string host = "db1", string system = System) =>
        new(name.PadRight(64, 'f')[..64], new SnapshotManifest { Host = host, SourceKind = WalRetention.WalKind, SourceId = $"{system}/{name}" });

    [Theory]
    [InlineData("0/3000028", "16777216", "0000000000000003")]
    [InlineData("0/2FFFFFF", "16777216", "0000000000000002")]
    [InlineData("1/A000000", "16777216", "000000010000000A")]
    [InlineData("5/FF000060", "16777216", "00000005000000FF")]
    [InlineData("5/FF000060", "67108864", "000000050000003F")]
    public void A_backups_start_segment_is_the_segment_holding_its_start_lsn(string lsn, string size, string expected) =>
        Assert.Equal(expected, WalRetention.StartPosition(Backup("a", lsn, size).Manifest));

    [Theory]
    [InlineData("0/30", "1000")]
    [InlineData("0/30", "12345678")]
    [InlineData("nonsense", "16777216")]
    [InlineData("0/", "16777216")]
    [InlineData("G/0", "16777216")]
    public void Labels_that_do_not_say_where_the_wal_starts_give_no_position(string lsn, string size) =>
        Assert.Null(WalRetention.StartPosition(Backup("a", lsn, size).Manifest));

    [Fact]
    public void Wal_before_the_oldest_remaining_backup_goes_history_and_newer_stay_and_other_clusters_are_untouched()
    {
        string[] names =
        [
            "000000010000000000000001", "000000010000000000000002", "000000010000000000000002.00000028.backup",
            "000000010000000000000003", "00000002.history", "000000020000000000000003.partial", "000000020000000000000004",
            "000000020000000100000000",
        ];
        var wal = names.Select(n => Wal(n)).ToList();
        wal.Add(Wal("000000010000000000000001", system: "999")); // another cluster with no base backup
        wal.Add(Wal("000000010000000000000001", host: "db2")); // the same system id on another host
        var notes = new List<string>();
        var obsolete = WalRetention.Obsolete([Backup("b", "0/3000028"), Backup("c", "1/0")], wal, notes);
        Assert.Equal(["000000010000000000000001", "000000010000000000000002", "000000010000000000000002.00000028.backup"],
            obsolete.Select(w => w.Manifest.SourceId.Split('/')[1]));
        Assert.All(obsolete, w => Assert.Equal("db1", w.Manifest.Host));
        Assert.Empty(notes);
    }

    [Fact]
    public void A_backup_whose_start_is_unknown_keeps_all_of_its_clusters_wal_and_no_backup_keeps_everything()
    {
        var wal = new List<SnapshotManifestRef> { Wal("000000010000000000000001") };
        var notes = new List<string>();
        Assert.Empty(WalRetention.Obsolete([Backup("b", "0/5000000"), Backup("c", "garbage")], wal, notes));
        Assert.Contains("does not say where its WAL starts", Assert.Single(notes));
        Assert.Empty(WalRetention.Obsolete([], wal, []));
    }
}
