using System.Text;
using Bunker.Client.Files.Native;

namespace Bunker.Client.Postgres.Tar;

/// <summary>
/// The directory an extraction fills. It must not exist (it is made, with its parents) or be an empty directory:
/// a restore never mixes a backup into files already there. A symlink as the target is refused rather than
/// followed, since where it points is not what the user named.
/// </summary>
internal static class ExtractionTarget
{
    /// <summary>
    /// Opens the target with O_NOFOLLOW, making it when it does not exist, then sets its owner (an id of
    /// uint.MaxValue is left as it is; both are, when <paramref name="changeOwner"/> is false) and its mode.
    /// </summary>
    /// <exception cref="IOException">The target is a symlink, not a directory, or not empty; or it cannot be made.</exception>
    public static DirectoryHandle Open(string target, uint mode, bool changeOwner, uint uid, uint gid)
    {
        try
        {
            return OpenEmpty(target, mode, changeOwner, uid, gid);
        }
        catch (FileSystemException e)
        {
            throw new IOException($"extraction target '{target}': {e.Message}", e);
        }
    }

    private static DirectoryHandle OpenEmpty(string target, uint mode, bool changeOwner, uint uid, uint gid)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        string? parentPath = Path.GetDirectoryName(full);
        if (parentPath is null) throw new IOException($"extraction target '{target}' is the root directory, which is not empty");
        var name = Encoding.UTF8.GetBytes(Path.GetFileName(full));
        Directory.CreateDirectory(parentPath);
        using var parent = DirectoryHandle.OpenTarget(parentPath);
        DirectoryHandle root;
        if (parent.TryStatus(name, out var status))
        {
            if (status.IsSymlink) throw new IOException($"extraction target '{target}' is a symlink; name the directory itself");
            if (!status.IsDirectory) throw new IOException($"extraction target '{target}' exists and is not a directory");
            root = parent.OpenDirectory(name);
            if (Directory.EnumerateFileSystemEntries(full).Any())
            {
                root.Dispose();
                throw new IOException($"extraction target '{target}' is not empty; a restore goes into a new or empty directory");
            }
        }
        else
        {
            parent.MakeDirectory(name, mode);
            root = parent.OpenDirectory(name);
        }
        try
        {
            if (changeOwner) HandleMetadata.SetOwner(root, uid, gid);
            // mkdir applied the umask, and an existing directory had its own mode: PostgreSQL wants exactly this one.
            HandleMetadata.SetMode(root, mode);
            return root;
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }
}
