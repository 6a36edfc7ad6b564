namespace Bunker.Client.Postgres.Tar;

/// <summary>How <see cref="TarExtractor"/> sets owners and the target's own permissions.</summary>
public sealed record TarExtractOptions
{
    /// <summary>When set (running as root), every created file and directory, and the target, is chowned to this uid. Otherwise owners are not changed.</summary>
    public int? OwnerUid { get; init; }

    /// <summary>When set, every created file and directory, and the target, is chowned to this gid.</summary>
    public int? OwnerGid { get; init; }

    /// <summary>Permission bits forced onto the target directory itself (PostgreSQL demands 0700 or 0750).</summary>
    public int TargetMode { get; init; } = Convert.ToInt32("700", 8);
}
